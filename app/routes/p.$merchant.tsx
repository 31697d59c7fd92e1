import { redirect, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Outlet, useLoaderData } from "@remix-run/react";
import { getMember, requirePortalMerchant } from "~/web/guards.server";
import { portalColor, portalTagline } from "~/components/portal/brand";
import { PortalShell } from "~/components/portal/portal-shell";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data ? `${data.brand.name} rewards` : "Rewards" }];

// Pages a visitor may open even when the merchant keeps its portal for members only (r/<code>: a friend's invitation).
const OPEN_PAGES = /^\/p\/[^/]+\/(login|signup|logout|forgot-password|reset-password\/[^/]+|r\/[^/]+)\/?$/;

export async function loader({ request, params }: LoaderFunctionArgs) {
  const merchant = await requirePortalMerchant(params.merchant, request);
  const auth = await getMember(request, merchant);
  const url = new URL(request.url);
  // Enforced here for every portal page (present and future); pages that show member data also require a member.
  if (!auth && merchant.settings?.membersOnlyPortal && !OPEN_PAGES.test(url.pathname)) {
    throw redirect(`/p/${merchant.slug}/login?redirectTo=${encodeURIComponent(url.pathname + url.search)}`);
  }
  return {
    brand: {
      slug: merchant.slug,
      name: merchant.name,
      brandColor: portalColor(merchant.settings?.brandColor),
      tagline: portalTagline(merchant.settings),
    },
    member: auth ? { name: auth.member.name } : null,
  };
}

export default function PortalLayout() {
  const { brand, member } = useLoaderData<typeof loader>();
  return (
    <PortalShell brand={brand} member={member}>
      <Outlet />
    </PortalShell>
  );
}
