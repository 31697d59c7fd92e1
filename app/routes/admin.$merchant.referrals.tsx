import type { LoaderFunctionArgs } from "@remix-run/node";
import { Outlet, useLoaderData } from "@remix-run/react";
import { requireStaff } from "~/web/guards.server";
import { ReferralsNav } from "~/components/referrals/admin-referrals";
import { db, withTenant } from "~/db.server";
import { openReviewCount } from "~/web/presenters/referrals/admin-queries.server";

/** The referrals area: overview, review queue, settings, and the tree view of any member. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant } = await requireStaff(request, params.merchant, "analyst");
  const openReviews = await withTenant(db(), merchant.id, (trx) => openReviewCount(trx, merchant.id));
  return { slug: merchant.slug, openReviews };
}

export default function ReferralsLayout() {
  const { slug, openReviews } = useLoaderData<typeof loader>();
  return (
    <>
      <ReferralsNav slug={slug} openReviews={openReviews} />
      <Outlet />
    </>
  );
}
