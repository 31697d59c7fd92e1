import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { clientIp, requireStaff } from "~/web/guards.server";
import { canAct } from "~/components/admin/use-admin";
import { ReferralSettingsForm } from "~/components/referrals/settings-form";
import { formPath, referralSettingsFormSchema } from "~/web/forms/referral-settings";
import { PageHeader } from "~/components/ui";
import { db, withTenant } from "~/db.server";
import { catalogRewardOptions } from "~/web/presenters/referrals/admin-queries.server";
import { getReferralSettings, saveReferralSettings } from "~/domain/referrals/program.server";
import { DomainError } from "~/lib/errors";
import { readSubmission } from "~/lib/forms.server";
import { replyWithDomainError } from "~/web/form-action.server";

export const meta: MetaFunction = () => [{ title: "Referral settings" }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant, role } = await requireStaff(request, params.merchant, "analyst");
  const { settings, rewards } = await withTenant(db(), merchant.id, async (trx) => ({
    settings: await getReferralSettings(trx, merchant.id),
    rewards: await catalogRewardOptions(trx, merchant.id),
  }));
  return { settings, rewards, currency: merchant.currency, editable: canAct(role, "admin") };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { merchant, user } = await requireStaff(request, params.merchant, "admin");
  const submission = await readSubmission(request, { schema: referralSettingsFormSchema(merchant.currency) });
  if (submission.status !== "success") return data({ result: submission.reply() }, { status: 400 });
  try {
    await withTenant(db(), merchant.id, async (trx) => {
      // A catalog reward must be this merchant's and active (the select only offers those; a forged id is refused).
      const ids = [submission.value.friendReward, submission.value.referrerReward].flatMap((r) => (r.kind === "reward" ? [r.rewardId] : []));
      const known = new Set((await catalogRewardOptions(trx, merchant.id)).map((r) => r.id));
      const unknown = ids.find((id) => !known.has(id));
      if (unknown) {
        const field = submission.value.friendReward.kind === "reward" && submission.value.friendReward.rewardId === unknown ? "friendRewardId" : "referrerRewardId";
        throw new DomainError("validation_failed", "Choose a reward from the catalog", { field });
      }
      await saveReferralSettings(trx, merchant.id, submission.value, { type: "staff", id: user.id, ip: clientIp(request) });
    });
  } catch (err) {
    // The schema's paths ("friendReward.points") are flat fields in the form; the reward selects already are.
    return replyWithDomainError(submission, err, { fieldName: (f) => (f.includes("RewardId") ? f : formPath(f.split("."))) });
  }
  return { result: submission.reply() };
}

export default function ReferralSettingsPage() {
  const { settings, rewards, currency, editable } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  return (
    <>
      <PageHeader title="Referral settings" description="What counts as a successful referral, who gets what, and the limits that keep the program honest." />
      <ReferralSettingsForm settings={settings} currency={currency} rewards={rewards} editable={editable} lastResult={actionData?.result} />
    </>
  );
}
