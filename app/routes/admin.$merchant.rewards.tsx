import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { clientIp, requireStaff } from "~/auth/guards.server";
import { formatDateTime } from "~/components/admin/format";
import { adminPath, canAct } from "~/components/admin/use-admin";
import { RewardsCatalogTable, RedemptionLogTable, type CatalogRow, type LogRow } from "~/components/rewards/admin-tables";
import { Alert, LinkButton, PageHeader } from "~/components/ui";
import { db, withTenant } from "~/db.server";
import { fulfilGift, liabilityByReward, listRewards, redemptionLog, setRewardStatus } from "~/domain/rewards/catalog.server";
import { rewardSummary } from "~/domain/rewards/notify.server";
import { DomainError } from "~/lib/errors";
import { readForm } from "~/lib/forms.server";
import { isId } from "~/lib/ids";
import { formatMoney } from "~/lib/money";

export const meta: MetaFunction = () => [{ title: "Rewards" }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant, role } = await requireStaff(request, params.merchant, "analyst");
  const { rewards, liability, log } = await withTenant(db(), merchant.id, async (trx) => ({
    rewards: await listRewards(trx, merchant.id, { includeArchived: true }),
    liability: await liabilityByReward(trx, merchant.id),
    log: await redemptionLog(trx, merchant.id, { limit: 50 }),
  }));
  const byReward = new Map(liability.map((l) => [l.rewardId, l]));
  const catalog: CatalogRow[] = rewards.map((r) => {
    const l = byReward.get(r.id);
    return {
      id: r.id,
      name: r.name,
      summary: r.kind === "points_discount" ? `${r.points_cost} points = ${formatMoney(r.discount_minor ?? 0, merchant.currency)} off, up to ${formatMoney(r.max_discount_minor ?? 0, merchant.currency)}` : rewardSummary(r, merchant.currency),
      pointsCost: r.points_cost,
      status: r.status,
      stock: r.stock_total === null ? "Unlimited" : `${r.stock_remaining} of ${r.stock_total} left`,
      redeemed: l?.redeemed ?? 0,
      outstanding: l?.outstanding ?? 0,
      liability: formatMoney(l?.outstandingValueMinor ?? 0, merchant.currency),
    };
  });
  const rows: LogRow[] = log.map((r) => ({
    id: r.id,
    when: formatDateTime(r.created_at, merchant.timezone),
    member: r.member_name ?? r.member_email,
    memberHref: adminPath(merchant.slug, `members/${r.member_id}`),
    reward: r.reward_name,
    source: r.source,
    points: r.points_spent,
    code: r.code,
    status: r.status,
    giftAwaiting: r.kind === "gift" && r.status === "issued",
  }));
  const totalLiability = formatMoney(liability.reduce((s, l) => s + l.outstandingValueMinor, 0), merchant.currency);
  return { catalog, rows, totalLiability, canEdit: canAct(role, "admin") };
}

const ActionSchema = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("fulfil"), redemptionId: z.string().max(64) }),
  z.object({ intent: z.enum(["archive", "restore"]), rewardId: z.string().max(64) }),
]);

export async function action({ request, params }: ActionFunctionArgs) {
  const { merchant, user } = await requireStaff(request, params.merchant, "admin");
  const parsed = ActionSchema.safeParse(Object.fromEntries(await readForm(request)));
  if (!parsed.success) return data({ ok: false as const, message: "Unknown action." }, { status: 400 });
  const actor = { type: "staff" as const, id: user.id, ip: clientIp(request) };
  const v = parsed.data;
  const id = v.intent === "fulfil" ? v.redemptionId : v.rewardId;
  if (!isId(v.intent === "fulfil" ? "redemption" : "reward", id)) throw new Response("Not found", { status: 404 });
  try {
    await withTenant(db(), merchant.id, async (trx) => {
      if (v.intent === "fulfil") await fulfilGift(trx, merchant.id, v.redemptionId, actor);
      else await setRewardStatus(trx, merchant.id, v.rewardId, v.intent === "archive" ? "archived" : "active", actor);
    });
  } catch (err) {
    if (err instanceof DomainError && err.code === "not_found") throw new Response("Not found", { status: 404 });
    if (err instanceof DomainError) return data({ ok: false as const, message: err.message }, { status: err.status });
    throw err;
  }
  const message = v.intent === "fulfil" ? "Gift marked as fulfilled." : v.intent === "archive" ? "Reward archived: members no longer see it." : "Reward restored.";
  return { ok: true as const, message };
}

export default function RewardsPage() {
  const { catalog, rows, totalLiability, canEdit } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  return (
    <>
      <PageHeader
        title="Rewards"
        description={`What members redeem their points for. Outstanding (issued, unused) rewards are worth ${totalLiability} at your point value.`}
        actions={canEdit ? <LinkButton to="new">New reward</LinkButton> : null}
      />
      {result ? (
        <div className="mb-4">
          <Alert tone={result.ok ? "success" : "error"}>{result.message}</Alert>
        </div>
      ) : null}
      <div className="space-y-8">
        <RewardsCatalogTable rows={catalog} canEdit={canEdit} />
        <RedemptionLogTable rows={rows} canEdit={canEdit} />
      </div>
    </>
  );
}
