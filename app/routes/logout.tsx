import { redirect, type ActionFunctionArgs } from "@remix-run/node";
import { endStaffSession } from "~/auth/session-cookies.server";

/** Logging out is a POST (a link or prefetch must not end a session); the session is revoked server-side (S4). */
export async function loader() {
  return redirect("/admin");
}

export async function action({ request }: ActionFunctionArgs) {
  return redirect("/login", { headers: { "Set-Cookie": await endStaffSession(request) } });
}
