import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireStaff } from "~/auth/guards.server";
import { NotBuiltYet } from "~/components/admin/not-built-yet";

export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireStaff(request, params.merchant, "analyst");
  return null;
}

export default function Programs() {
  return (
    <NotBuiltYet title="Programs" heading="Loyalty programs are not built yet">
      Here you will set up how members earn points — per currency unit spent, on sign-up, on birthdays — and the tiers they
      climb through. Points arrive with the Points issue.
    </NotBuiltYet>
  );
}
