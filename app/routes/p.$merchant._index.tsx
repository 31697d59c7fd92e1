import type { LoaderFunctionArgs } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { requirePortalMerchant } from "~/auth/guards.server";
import { portalVisitor } from "~/auth/session-cookies.server";
import { portalTagline } from "~/components/portal/brand";
import { MemberSummary, memberSummaryView } from "~/components/portal/member-summary";
import { VisitorWelcome } from "~/components/portal/visitor-welcome";
import { db } from "~/db.server";
import { memberHome } from "~/domain/members/accounts.server";

export async function loader({ request, params }: LoaderFunctionArgs) {
  const merchant = await requirePortalMerchant(params.merchant);
  const auth = await portalVisitor(request, merchant);
  if (!auth) return { kind: "visitor" as const, slug: merchant.slug, name: merchant.name, tagline: portalTagline(merchant.settings) };
  const home = await memberHome(db(), merchant.id, auth.member.id);
  // Formatted on the server in the merchant's time zone, so the browser shows exactly the same text.
  return { kind: "member" as const, slug: merchant.slug, name: merchant.name, member: memberSummaryView(home, merchant) };
}

export default function PortalHome() {
  const data = useLoaderData<typeof loader>();
  if (data.kind === "visitor") return <VisitorWelcome slug={data.slug} name={data.name} tagline={data.tagline} />;
  return <MemberSummary slug={data.slug} programName={data.name} member={data.member} />;
}
