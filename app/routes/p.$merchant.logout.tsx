import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { requirePortalMerchant } from "~/web/guards.server";
import { endMemberSession } from "~/auth/session-cookies.server";

/** POST only: the member's session is revoked server-side and the cookie cleared. */
export async function loader({ params }: LoaderFunctionArgs) {
  const merchant = await requirePortalMerchant(params.merchant);
  return redirect(`/p/${merchant.slug}`);
}

export async function action({ request, params }: ActionFunctionArgs) {
  const merchant = await requirePortalMerchant(params.merchant, request);
  return redirect(`/p/${merchant.slug}/login`, { headers: { "Set-Cookie": await endMemberSession(request, merchant) } });
}
