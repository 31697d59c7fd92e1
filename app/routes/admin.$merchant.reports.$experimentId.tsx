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
import { formatMoney, signedMajor } from "~/lib/money";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.name ?? "Report"} · Incrementality · Perennial admin` }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant, role } = await requireStaff(request, params.merchant, "analyst");
  const url = new URL(request.url);
  const { window, windowParam, liftParam } = reportWindowOf(url);
  const page = await orNotFound(withTenant(db(), merchant.id, (trx) => loadReportPage(trx, merchant.id, params.experimentId ?? "", window)), "Not found");
  const { report, series, asOf } = page;
  const arms = report.arms.map((a) => ({ arm: a.arm, control: a.control, liabilityPerMember: a.liability.perMember }));
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
    headline: report.comparisons.map((c) => ({
      arm: c.arm,
      lift: c.value.lift,
      ci95: c.value.ci95,
      pValue: c.value.pValue,
      total: c.total.lift,
      totalCi: c.total.ci95,
      cuped: c.valueCuped,
      adjusted: { lift: c.valueAdjusted.lift, ci95: c.valueAdjusted.ci95, varianceReduction: c.valueAdjusted.varianceReduction, covariates: c.valueAdjusted.covariates.length },
    })),
    predictionSe: report.comparisons.flatMap((c) => (c.prediction ? [{ arm: c.arm, se: c.prediction.se, samplingSe: c.prediction.samplingSe }] : [])),
    srm: report.srm ? { pValue: report.srm.pValue, mismatch: report.srm.mismatch, arms: report.srm.arms } : null,
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
        {d.srm?.mismatch ? (
          <Alert tone="error" title="Sample ratio mismatch: do not trust this comparison">
            The arms are not the sizes the holdout share predicts (
            {d.srm.arms.map((a) => `${a.arm} ${a.n.toLocaleString("en-US")}, expected ${(a.expectedShare * 100).toFixed(1)}%`).join("; ")}; chi-square p ={" "}
            {d.srm.pValue < 1e-6 ? "< 0.000001" : d.srm.pValue.toFixed(6)}). Assignment is broken, the holdout share changed while the experiment ran, or members
            are missing from one arm. The alarm is at p &lt; 0.001: the check runs on every view, so a healthy experiment raises it once in a thousand looks.
          </Alert>
        ) : null}
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
              Predicted residual CLTV: the CLTV model&apos;s expected margin from the end of the window to 12 months after its last scoring, predicted from
              each member&apos;s purchases before the window&apos;s end — one clock: realized and predicted value meet at the window&apos;s end, so a shorter
              window observes less and predicts more of the same value instead of dropping what came after it
              {d.hasPrediction ? "" : " — not available yet: no member has been scored, so net value is realized value only"}.
            </li>
            {d.predictionSe.length ? (
              <li>
                The net-value intervals include the prediction&apos;s own uncertainty (the model&apos;s parameters, drawn from their covariance; the same draws for
                both arms, so only the difference they make counts):{" "}
                {d.predictionSe.map((p) => `${p.arm} ± ${signedMajor(p.se, d.currency, 2).replace(/^\+/, "")} SE from the prediction beside ${signedMajor(p.samplingSe, d.currency, 2).replace(/^\+/, "")} from sampling`).join("; ")}.
              </li>
            ) : null}
            <li>
              Program cost: points redeemed × the point value ({d.pointValue.points} points = {formatMoney(d.pointValue.minor, d.currency)}), plus rewards
              granted without points (offers, surprise gifts, referral rewards) at their discount or credit amount. Referral points count when redeemed.
            </li>
            <li>
              Intervals: Welch 95% — the headline, because it needs no model of the outcome and keeps the report&apos;s figures comparable over time. CUPED adjusts
              for spend in the 365 days before assignment; the regression adjustment (Lin 2013) for several pre-assignment covariates (spend and orders before
              assignment, whether and how recently the member bought, months since sign-up, referred, first order through Stripe) with a heteroskedasticity-robust
              standard error. Both estimate the same effect; a narrower adjusted interval is the covariates at work.
            </li>
            <li>
              The complier effect applies to opt-in programs (someone joined or claimed); its interval counts the join rates&apos; own sampling error (delta
              method).
            </li>
            <li>
              Sample ratio check{d.srm ? `: p = ${d.srm.pValue < 1e-6 ? "< 0.000001" : d.srm.pValue.toFixed(4)} (arm sizes against the holdout share; alarm below 0.001)` : ": not applicable (assignment imported, no configured share)"}.
            </li>
          </ul>
        </Card>
      </div>
    </>
  );
}
