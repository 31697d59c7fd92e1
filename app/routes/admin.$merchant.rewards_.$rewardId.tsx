import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { clientIp, requireStaff } from "~/web/guards.server";
import { adminPath } from "~/components/admin/use-admin";
import { blankRewardForm, rewardFormSchema, rewardToForm } from "~/web/forms/rewards";
import { RewardEditor } from "~/components/rewards/reward-editor";
import { PageHeader } from "~/components/ui";
import { db, withTenant } from "~/db.server";
import { createReward, getReward, updateReward } from "~/domain/rewards/catalog.server";
import { listTiers } from "~/domain/rewards/tier-check.server";
import { readSubmission } from "~/lib/forms.server";
import { notFoundResponse, orNotFound, replyWithDomainError } from "~/web/form-action.server";
import { isId } from "~/lib/ids";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data?.isNew ? "New reward" : `${data?.name ?? "Reward"} · Rewards` }];

const NOT_FOUND = "Reward not found";

/** "new" creates; a reward id edits (another merchant's id finds nothing under RLS: 404). */
function target(rewardId: string | undefined): string | null {
  if (rewardId === "new") return null;
  if (!rewardId || !isId("reward", rewardId)) throw notFoundResponse(NOT_FOUND);
  return rewardId;
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant } = await requireStaff(request, params.merchant, "admin");
  const id = target(params.rewardId);
  const { reward, tiers } = await withTenant(db(), merchant.id, async (trx) => ({
    reward: id ? await orNotFound(getReward(trx, merchant.id, id), NOT_FOUND) : null,
    tiers: await listTiers(trx, merchant.id),
  }));
  return {
    isNew: !reward,
    name: reward?.name ?? null,
    currency: merchant.currency,
    timezone: merchant.timezone,
    tiers,
    defaultValue: reward ? rewardToForm(reward, merchant.currency, merchant.timezone) : blankRewardForm(),
  };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { merchant, user } = await requireStaff(request, params.merchant, "admin");
  const id = target(params.rewardId);
  const submission = await readSubmission(request, { schema: rewardFormSchema(merchant.currency, merchant.timezone) });
  if (submission.status !== "success") return data({ result: submission.reply() }, { status: 400 });
  const actor = { type: "staff" as const, id: user.id, ip: clientIp(request) };
  try {
    await withTenant(db(), merchant.id, (trx) => (id ? updateReward(trx, merchant.id, id, submission.value, actor) : createReward(trx, merchant.id, submission.value, actor)));
  } catch (err) {
    return replyWithDomainError(submission, err, { notFound: NOT_FOUND });
  }
  return redirect(adminPath(merchant.slug, "rewards"));
}

export default function RewardEditorPage() {
  const { isNew, name, currency, timezone, tiers, defaultValue } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  return (
    <>
      <PageHeader
        title={isNew ? "New reward" : `Edit ${name}`}
        description={
          <Link to=".." relative="path" className="text-brand-700 hover:underline">
            Back to rewards
          </Link>
        }
      />
      <RewardEditor defaultValue={defaultValue} lastResult={result?.result} currency={currency} timezone={timezone} tiers={tiers} submitLabel={isNew ? "Create reward" : "Save changes"} />
    </>
  );
}
