import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireStaff } from "~/auth/guards.server";
import { NotBuiltYet } from "~/components/admin/not-built-yet";

export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireStaff(request, params.merchant, "analyst");
  return null;
}

export default function Offers() {
  return (
    <NotBuiltYet title="Offers" heading="Offers are not built yet">
      Here you will create time-limited member offers, target them at segments, and measure how many members used each one.
    </NotBuiltYet>
  );
}
