import type { LoaderFunctionArgs } from "@remix-run/node";
import { Outlet } from "@remix-run/react";
import { requireStaff } from "~/web/guards.server";

// Offers and surprise gifts: the pages below share this guard.
export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireStaff(request, params.merchant, "analyst");
  return null;
}

export default function OffersLayout() {
  return <Outlet />;
}
