import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireStaff } from "~/auth/guards.server";
import { NotBuiltYet } from "~/components/admin/not-built-yet";

export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireStaff(request, params.merchant, "analyst");
  return null;
}

export default function Referrals() {
  return (
    <NotBuiltYet title="Referrals" heading="Referrals are not built yet">
      Here you will configure referral rewards for the referrer and the friend, review referrals flagged for possible fraud, and see which referrals led to purchases.
    </NotBuiltYet>
  );
}
