import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { now } from "~/lib/clock.server";
import { clientIp, requireStaff } from "~/web/guards.server";
import { EarningRulesForm } from "~/components/points/earning-rules-form";
import { PointsFlowCharts, ProgramStatCards } from "~/components/points/program-stats";
import { PageHeader } from "~/components/ui";
import { db, withTenant } from "~/db.server";
import { earningRulesFormSchema } from "~/web/forms/earning-rules";
import { getEarningRules, saveEarningRules } from "~/domain/points/rules.server";
import { monthlyPointsFlow, programStats } from "~/domain/points/stats.server";
import { readSubmission } from "~/lib/forms.server";
import { formatMoney } from "~/lib/money";

export const meta: MetaFunction = () => [{ title: "Program" }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant, role } = await requireStaff(request, params.merchant, "analyst");
  const at = now();
  const { rules, stats, flow } = await withTenant(db(), merchant.id, async (trx) => ({
    rules: await getEarningRules(trx, merchant.id),
    stats: await programStats(trx, merchant.id),
    flow: await monthlyPointsFlow(trx, merchant.id, 12, { timezone: merchant.timezone, at }),
  }));
  return { rules, stats, flow, role, currency: merchant.currency, timezone: merchant.timezone, at: at.toISOString() };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { merchant, user } = await requireStaff(request, params.merchant, "admin");
  const submission = await readSubmission(request, { schema: earningRulesFormSchema(merchant) });
  // status undefined: a list add/remove submitted without JavaScript, not a save.
  if (submission.status !== "success") return data({ result: submission.reply(), saved: false }, { status: submission.status === "error" ? 400 : 200 });
  const actor = { type: "staff" as const, id: user.id, ip: clientIp(request) };
  const { changed } = await withTenant(db(), merchant.id, (trx) => saveEarningRules(trx, merchant.id, submission.value, actor));
  return { result: submission.reply(), saved: changed };
}

export default function Programs() {
  const { rules, stats, flow, role, currency, timezone, at } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const pointValue = `${rules.pointValue.points.toLocaleString("en-US")} points = ${formatMoney(rules.pointValue.minor, currency)}`;
  return (
    <>
      <PageHeader title="Program" description="Points issued and outstanding, and the rules by which members earn them." />
      <div className="space-y-6">
        <ProgramStatCards stats={stats} pointValue={pointValue} />
        <PointsFlowCharts flow={flow} />
        <h2 className="text-lg font-semibold text-stone-900">Earning rules</h2>
        <EarningRulesForm rules={rules} role={role} currency={currency} timezone={timezone} at={at} lastResult={actionData?.result} saved={actionData?.saved} />
      </div>
    </>
  );
}
