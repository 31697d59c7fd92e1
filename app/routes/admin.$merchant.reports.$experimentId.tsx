import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useLoaderData, useNavigation } from "@remix-run/react";
import { requireStaff, roleAtLeast } from "~/web/guards.server";
import { AsOf } from "~/components/admin/as-of";
import { Alert, Card, PageHeader } from "~/components/ui";
import { BackToReports, ReportCharts, ReportTableCard, WindowPicker } from "~/components/reports/report-view";
import { HeadlineCards } from "~/components/reports/headline";
import { db, withTenant } from "~/db.server";
import { loadReportPage } from "~/domain/incrementality/page.server";
import { chartData, reportWindowOf } from "~/domain/incrementality/report-params.server";
import { referralSentence } from "~/domain/incrementality/referral-summary";
import { refreshExperimentSummary } from "~/domain/incrementality/summaries.server";
import { reportTables } from "~/domain/incrementality/tables.server";
import { readForm } from "~/lib/forms.server";
import { orNotFound } from "~/web/form-action.server";
import { formatMoney } from "~/lib/money";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.name ?? "Report"} · Incrementality · Perennial admin` }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant, role } = await requireStaff(request, params.merchant, "analyst");
  const url = new URL(request.url);
  const { window, windowParam, liftParam } = reportWindowOf(url);
  const page = await orNotFound(withTenant(db(), merchant.id, (trx) => loadReportPage(trx, merchant.id, params.experimentId ?? "", window)), "Not found");
  const { report, series, asOf } = page;
  const arms = report.arms.map((a) => ({ arm: a.arm, control: a.control }));
  return {
    slug: merchant.slug,
    id: report.experiment.id,
    name: report.experiment.name,
    kind: report.experiment.kind,
    currency: report.currency,
    grossMarginBps: report.grossMarginBps,
    pointValue: report.pointValue,
    hasPrediction: report.hasPrediction,
    hasControl: report.arms.some((a) => a.control && a.n > 0),
    windowParam,
    liftParam,
    query: url.search,
    headline: report.comparisons.map((c) => ({ arm: c.arm, lift: c.value.lift, ci95: c.value.ci95, pValue: c.value.pValue, total: c.total.lift, totalCi: c.total.ci95, cuped: c.valueCuped })),
    tables: reportTables(report, series),
    charts: chartData(series, arms, report.currency),
    referralSentence: report.referral ? referralSentence(report.referral, report.currency) : null,
    asOf: asOf.toISOString(),
    timezone: merchant.timezone,
    canRefresh: roleAtLeast(role, "admin"),
  };
}

/** intent=refresh: recompute this experiment's summaries now instead of waiting for the summaries job. */
export async function action({ request, params }: ActionFunctionArgs) {
  const { merchant } = await requireStaff(request, params.merchant, "admin");
  if ((await readForm(request)).get("intent") !== "refresh") return data({ ok: false }, { status: 400 });
  await orNotFound(withTenant(db(), merchant.id, (trx) => refreshExperimentSummary(trx, merchant.id, params.experimentId ?? "")), "Not found");
  return { ok: true };
}

export default function ExperimentReport() {
  const d = useLoaderData<typeof loader>();
  const busy = useNavigation().state === "submitting";
  return (
    <>
      <PageHeader title={d.name} description={<BackToReports slug={d.slug} />} />
      <AsOf asOf={d.asOf} timezone={d.timezone} canRefresh={d.canRefresh} busy={busy} />
      <div className="space-y-6">
        <WindowPicker windowDays={d.windowParam} lift={d.liftParam} currency={d.currency} />
        {d.hasControl ? null : <Alert tone="info">No member is in the control arm yet: there is nothing to compare against.</Alert>}
        <HeadlineCards rows={d.headline} currency={d.currency} />
        <ReportCharts charts={d.charts} />
        {d.referralSentence ? (
          <Card title="Referred customers: who would have come anyway">
            <p className="px-5 py-4 text-sm text-stone-700">{d.referralSentence}</p>
          </Card>
        ) : null}
        {d.tables.map((t) => (
          <ReportTableCard key={t.name} table={t} csvHref={`/admin/${d.slug}/reports/${d.id}/export/${t.name}${d.query}`} />
        ))}
        <Card title="What counts">
          <ul className="list-disc space-y-1 px-9 py-4 text-sm text-stone-700">
            <li>Members are compared by the arm they were assigned to (intent to treat), over the window after each member&apos;s own assignment.</li>
            <li>Gross margin: orders net of refunds × {(d.grossMarginBps / 100).toFixed(0)}% (CLTV settings).</li>
            <li>
              Predicted residual CLTV: the CLTV model&apos;s 12-month value per member{d.hasPrediction ? "" : " — not available yet: no member has been scored, so net value is realized value only"}.
            </li>
            <li>
              Program cost: points redeemed × the point value ({d.pointValue.points} points = {formatMoney(d.pointValue.minor, d.currency)}), plus rewards
              granted without points (offers, surprise gifts, referral rewards) at their discount or credit amount. Referral points count when redeemed.
            </li>
            <li>Intervals: Welch 95%; CUPED adjusts for spend in the 365 days before assignment. The complier effect applies to opt-in programs (someone joined or claimed).</li>
          </ul>
        </Card>
      </div>
    </>
  );
}
