import { data, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { requirePortalMerchant } from "~/web/guards.server";
import { ReferralLanding, UnknownReferralLink } from "~/components/referrals/landing";
import { landOnReferralLink } from "~/web/presenters/referrals/landing.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data?.kind === "landing" ? `${data.view.referrer} invited you to ${data.view.programName}` : "You're invited" },
];

/** The friend's landing page for a member's link (the short /r/<code> link redirects here). */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const merchant = await requirePortalMerchant(params.merchant, request);
  const r = await landOnReferralLink(request, merchant, params.code ?? "");
  if (r.kind === "landing") return data({ kind: r.kind, view: r.view, member: r.member, slug: merchant.slug }, { headers: r.headers });
  // Unknown codes are a friendly page with a 404 status, so the link is clearly dead to crawlers and monitors.
  return data({ kind: r.kind, programName: r.programName, signupHref: r.signupHref, slug: merchant.slug }, { status: r.kind === "unknown" ? 404 : 200, headers: r.headers });
}

export default function ReferralLandingPage() {
  const d = useLoaderData<typeof loader>();
  if (d.kind === "landing") {
    return d.member ? (
      <ReferralLanding view={{ ...d.view, signupHref: `/p/${d.slug}`, friendOffer: null, giftCondition: null }} alreadyMember />
    ) : (
      <ReferralLanding view={d.view} />
    );
  }
  if (d.kind === "preview") return <UnknownReferralLink programName={d.programName} signupHref={d.signupHref} preview />;
  return <UnknownReferralLink programName={d.programName} signupHref={d.signupHref} />;
}
