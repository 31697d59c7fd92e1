import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { requireStaff } from "~/web/guards.server";
import { ExperimentFigures, ProgressBar, usePolling } from "~/components/offers/admin-offers";
import { Alert, Card, PageHeader } from "~/components/ui";
import { db, withTenant } from "~/db.server";
import { giftCounts, requireGift } from "~/domain/offers/gifts.server";
import { notFoundResponse, orNotFound } from "~/web/form-action.server";
import { isId } from "~/lib/ids";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data ? `${data.gift.name} · Surprise gifts` : "Surprise gift" }];

const NOT_FOUND = "Surprise gift not found";

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant } = await requireStaff(request, params.merchant, "analyst");
  const giftId = params.giftId ?? "";
  if (!isId("gift", giftId)) throw notFoundResponse(NOT_FOUND);
  return orNotFound(
    withTenant(db(), merchant.id, async (trx) => {
      const g = await requireGift(trx, merchant.id, giftId);
      return {
        gift: { name: g.name, rewardName: g.rewardName, status: g.status, total: g.total, done: g.done, failed: g.failed, error: g.error, holdoutBps: g.holdoutBps },
        counts: await giftCounts(trx, merchant.id, g),
      };
    }),
    NOT_FOUND,
  );
}

export default function GiftDetail() {
  const { gift, counts } = useLoaderData<typeof loader>();
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
        <ExperimentFigures counts={counts} claimedLabel="Received" />
      </div>
    </>
  );
}
