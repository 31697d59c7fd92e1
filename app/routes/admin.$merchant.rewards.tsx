import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireStaff } from "~/auth/guards.server";
import { NotBuiltYet } from "~/components/admin/not-built-yet";

export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireStaff(request, params.merchant, "analyst");
  return null;
}

export default function Rewards() {
  return (
    <NotBuiltYet title="Rewards" heading="Rewards are not built yet">
      Here you will define what members can redeem their points for — discounts, free products, gift cards — and see each reward's redemptions and cost. Rewards arrive after points.
    </NotBuiltYet>
  );
}
