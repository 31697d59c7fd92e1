import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { now } from "~/lib/clock.server";
import { clientIp, requireStaff, roleAtLeast } from "~/web/guards.server";
import { AsOf } from "~/components/admin/as-of";
import { EarningRulesForm } from "~/components/points/earning-rules-form";
import { PointsFlowCharts, ProgramStatCards } from "~/components/points/program-stats";
import { PageHeader } from "~/components/ui";
import { db, withTenant } from "~/db.server";
import { earningRulesFormSchema } from "~/web/forms/earning-rules";
import { getEarningRules, saveEarningRules } from "~/domain/points/rules.server";
import { programStatsPage, refreshPointsSummary } from "~/domain/points/summaries.server";
import { parseSubmission, readForm, refuseUnstorable } from "~/lib/forms.server";
import { formatMoney } from "~/lib/money";

export const meta: MetaFunction = () => [{ title: "Program" }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant, role } = await requireStaff(request, params.merchant, "analyst");
  const at = now();
  // The stats and the flow are the ledger's aggregates: read from the maintained summary (issue 14).
  const { rules, stats, flow, asOf } = await withTenant(db(), merchant.id, async (trx) => {
    const rules = await getEarningRules(trx, merchant.id);
    return { rules, ...(await programStatsPage(trx, merchant, rules)) };
  });
  return { rules, stats, flow, asOf: asOf.toISOString(), canRefresh: roleAtLeast(role, "admin"), role, currency: merchant.currency, timezone: merchant.timezone, at: at.toISOString() };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { merchant, user } = await requireStaff(request, params.merchant, "admin");
  const form = await readForm(request, { unstorable: "report" });
  // intent=refresh: recompute the stats and the flow now instead of waiting for the summaries job.
  // Any intent field is this button's: a value that cannot be stored is refused here, as every field is.
  if (form.has("intent")) refuseUnstorable(form);
  if (form.get("intent") === "refresh") {
    await withTenant(db(), merchant.id, (trx) => refreshPointsSummary(trx, merchant));
    return { result: undefined, saved: false };
  }
  const submission = parseSubmission(form, { schema: earningRulesFormSchema(merchant) });
  // status undefined: a list add/remove submitted without JavaScript, not a save — which validates nothing, so a value
  // that cannot be stored is refused here (a save reports it beside its field).
  if (submission.status === undefined) refuseUnstorable(form);
  if (submission.status !== "success") return data({ result: submission.reply(), saved: false }, { status: submission.status === "error" ? 400 : 200 });
  const actor = { type: "staff" as const, id: user.id, ip: clientIp(request) };
  const { changed } = await withTenant(db(), merchant.id, (trx) => saveEarningRules(trx, merchant.id, submission.value, actor));
  return { result: submission.reply(), saved: changed };
}

export default function Programs() {
  const { rules, stats, flow, asOf, canRefresh, role, currency, timezone, at } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const navigation = useNavigation();
  const refreshing = navigation.state === "submitting" && navigation.formData?.get("intent") === "refresh";
  const pointValue = `${rules.pointValue.points.toLocaleString("en-US")} points = ${formatMoney(rules.pointValue.minor, currency)}`;
  return (
    <>
      <PageHeader title="Program" description="Points issued and outstanding, and the rules by which members earn them." />
      <AsOf asOf={asOf} timezone={timezone} canRefresh={canRefresh} busy={refreshing} />
      <div className="space-y-6">
        <ProgramStatCards stats={stats} pointValue={pointValue} />
        <PointsFlowCharts flow={flow} />
        <h2 className="text-lg font-semibold text-stone-900">Earning rules</h2>
        <EarningRulesForm rules={rules} role={role} currency={currency} timezone={timezone} at={at} lastResult={actionData?.result} saved={actionData?.saved} />
      </div>
    </>
  );
}
