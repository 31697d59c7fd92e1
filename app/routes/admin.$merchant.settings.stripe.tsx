import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireStaff } from "~/auth/guards.server";
import { EmptyState, PageHeader } from "~/components/ui";

export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireStaff(request, params.merchant, "owner");
  return null;
}

export default function StripeSettings() {
  return (
    <>
      <PageHeader title="Stripe" description="Only owners can manage the Stripe connection." />
      <EmptyState title="Stripe connection arrives with the Points issue">
        Connecting your Stripe account will let Perennial record purchases and refunds automatically and award or reverse
        points for them. Until then, orders reach Perennial through the REST API.
      </EmptyState>
    </>
  );
}
