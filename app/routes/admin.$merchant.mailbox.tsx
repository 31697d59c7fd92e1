import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Outlet, useLoaderData } from "@remix-run/react";
import { requireStaff } from "~/web/guards.server";
import { PageHeader } from "~/components/ui";
import { DeliveryNotice } from "~/components/ui/email";
import { describeDelivery, mailConfigFromEnv } from "~/domain/email/delivery.server";

export const meta: MetaFunction = () => [{ title: "Mailbox · Perennial admin" }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireStaff(request, params.merchant, "analyst");
  return { delivery: describeDelivery(mailConfigFromEnv()) };
}

export default function Mailbox() {
  const { delivery } = useLoaderData<typeof loader>();
  return (
    <>
      <PageHeader title="Mailbox" description="Every e-mail Perennial queued for this merchant: welcome messages, password resets, invitations." />
      <div className="mb-6">
        <DeliveryNotice delivery={delivery} />
      </div>
      <Outlet />
    </>
  );
}
