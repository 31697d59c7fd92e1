import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useLoaderData, useNavigation } from "@remix-run/react";
import { requireStaff, roleAtLeast } from "~/web/guards.server";
import { AsOf } from "~/components/admin/as-of";
import { ExperimentFigures, ProgressBar, usePolling } from "~/components/offers/admin-offers";
import { Alert, Card, PageHeader } from "~/components/ui";
import { db, withTenant } from "~/db.server";
import { requireGift } from "~/domain/offers/gifts.server";
import { giftCountsBasis, offerCountsPage, refreshOfferCounts } from "~/domain/offers/summaries.server";
import { readForm } from "~/lib/forms.server";
import { notFoundResponse, orNotFound } from "~/web/form-action.server";
import { isId } from "~/lib/ids";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data ? `${data.gift.name} · Surprise gifts` : "Surprise gift" }];

const NOT_FOUND = "Surprise gift not found";

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant, role } = await requireStaff(request, params.merchant, "analyst");
  const giftId = params.giftId ?? "";
  if (!isId("gift", giftId)) throw notFoundResponse(NOT_FOUND);
  return orNotFound(
    withTenant(db(), merchant.id, async (trx) => {
      const g = await requireGift(trx, merchant.id, giftId);
      // The counts scan the gift's assignments and events: read from the maintained summary (issue 14).
      const { counts, asOf } = await offerCountsPage(trx, merchant.id, g.experimentId, giftCountsBasis(g));
      return {
        gift: { name: g.name, rewardName: g.rewardName, status: g.status, total: g.total, done: g.done, failed: g.failed, error: g.error, holdoutBps: g.holdoutBps },
        counts,
        asOf: asOf.toISOString(),
        timezone: merchant.timezone,
        canRefresh: roleAtLeast(role, "admin"),
      };
    }),
    NOT_FOUND,
  );
}

/** intent=refresh: recount the gift's experiment now instead of waiting for the summaries job. */
export async function action({ request, params }: ActionFunctionArgs) {
  const { merchant } = await requireStaff(request, params.merchant, "admin");
  const giftId = params.giftId ?? "";
  if (!isId("gift", giftId)) throw notFoundResponse(NOT_FOUND);
  if ((await readForm(request)).get("intent") !== "refresh") return data({ ok: false }, { status: 400 });
  await orNotFound(
    withTenant(db(), merchant.id, async (trx) => {
      const g = await requireGift(trx, merchant.id, giftId);
      await refreshOfferCounts(trx, merchant.id, g.experimentId, giftCountsBasis(g));
    }),
    NOT_FOUND,
  );
  return { ok: true };
}

export default function GiftDetail() {
  const { gift, counts, asOf, timezone, canRefresh } = useLoaderData<typeof loader>();
  const busy = useNavigation().state === "submitting";
  const running = gift.status === "queued" || gift.status === "running";
  usePolling(running);
  return (
    <>
      <PageHeader title={gift.name} description={`${gift.rewardName ?? "Reward"} · ${gift.holdoutBps / 100}% held out`} />
      <div className="space-y-6">
        <Card title="Progress">
          <div className="space-y-3">
            <ProgressBar label={running ? "Granting…" : gift.status === "done" ? "Done" : "Failed"} done={gift.done + gift.failed} total={gift.total} />
            <p className="text-sm text-stone-700">
              {gift.done.toLocaleString("en-US")} granted, {gift.failed.toLocaleString("en-US")} could not be granted (e.g. out of stock or not eligible).
            </p>
            {gift.error ? <Alert tone="error">The job stopped: {gift.error}</Alert> : null}
          </div>
        </Card>
        <div>
          <AsOf asOf={asOf} timezone={timezone} canRefresh={canRefresh} busy={busy} />
          <ExperimentFigures counts={counts} claimedLabel="Received" />
        </div>
      </div>
    </>
  );
}
