import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireStaff } from "~/auth/guards.server";
import { NotBuiltYet } from "~/components/admin/not-built-yet";

export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireStaff(request, params.merchant, "analyst");
  return null;
}

export default function Reports() {
  return (
    <NotBuiltYet title="Reports" heading="Reports are not built yet">
      Here you will find the incremental customer lifetime value each program drives, measured against a randomized holdout and net of its cost, alongside member and revenue trends.
    </NotBuiltYet>
  );
}
