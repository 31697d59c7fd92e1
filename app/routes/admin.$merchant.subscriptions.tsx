import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { SubscriptionReportView } from "~/components/subscriptions/report";
import { PageHeader } from "~/components/ui";
import { db, withTenant } from "~/db.server";
import { subscriptionReport } from "~/domain/subscriptions/summary.server";
import { requireStaff } from "~/web/guards.server";

export const meta: MetaFunction = () => [{ title: "Subscriptions · Perennial admin" }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant } = await requireStaff(request, params.merchant, "analyst");
  const report = await withTenant(db(), merchant.id, (trx) => subscriptionReport(trx, merchant.id));
  return { report };
}

export default function SubscriptionsPage() {
  const { report } = useLoaderData<typeof loader>();
  return (
    <>
      <PageHeader
        title="Subscriptions"
        description="Subscribers from Stripe: MRR and churn per month, retention per monthly cohort, and the shifted-beta-geometric model that prices a subscriber (ARPU × gross margin × discounted expected lifetime)."
      />
      <SubscriptionReportView report={report} currency={report.currency} />
    </>
  );
}
