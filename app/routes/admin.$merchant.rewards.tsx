import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { clientIp, requireStaff } from "~/web/guards.server";
import { canAct } from "~/components/admin/use-admin";
import { RewardsCatalogTable, RedemptionLogTable } from "~/components/rewards/admin-tables";
import { Alert, LinkButton, PageHeader } from "~/components/ui";
import { db, withTenant } from "~/db.server";
import { fulfilGift, setRewardStatus } from "~/domain/rewards/catalog.server";
import { readForm } from "~/lib/forms.server";
import { isId } from "~/lib/ids";
import { domainErrorData, notFoundResponse } from "~/web/form-action.server";
import { adminRewardsPage } from "~/web/presenters/rewards.server";

export const meta: MetaFunction = () => [{ title: "Rewards" }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant, role } = await requireStaff(request, params.merchant, "analyst");
  return { ...(await adminRewardsPage(merchant)), canEdit: canAct(role, "admin") };
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
  if (!isId(v.intent === "fulfil" ? "redemption" : "reward", id)) throw notFoundResponse();
  try {
    await withTenant(db(), merchant.id, async (trx) => {
      if (v.intent === "fulfil") await fulfilGift(trx, merchant.id, v.redemptionId, actor);
      else await setRewardStatus(trx, merchant.id, v.rewardId, v.intent === "archive" ? "archived" : "active", actor);
    });
  } catch (err) {
    return domainErrorData(err, (e) => ({ ok: false as const, message: e.message }), { notFound: "Not found" });
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
