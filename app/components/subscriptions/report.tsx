import { StatCard } from "~/components/admin/stat-card";
import { LineChart, type LinePoint, type LineSeries } from "~/components/charts/line-chart";
import { Alert, Card, EmptyState, Table, Td, Th } from "~/components/ui";
import type { SubscriptionReport } from "~/domain/subscriptions/summary";
import { formatMoney } from "~/lib/money";

/** The Subscriptions page (issue 16 §5): MRR and churn per month, cohort retention actual vs the sBG, subscription CLTV. */

const MONTH = new Intl.DateTimeFormat("en-US", { month: "short", year: "numeric", timeZone: "UTC" });
const MONTH_LONG = new Intl.DateTimeFormat("en-US", { month: "long", year: "numeric", timeZone: "UTC" });
const monthOf = (iso: string) => new Date(`${iso}T00:00:00Z`);
const pct = (v: number | null) => (v == null ? "–" : `${(v * 100).toFixed(1)}%`);

const MRR_SERIES: LineSeries[] = [{ key: "mrr", label: "MRR", stroke: "stroke-brand-600", fill: "fill-brand-600" }];
const CHURN_SERIES: LineSeries[] = [
  { key: "logo", label: "Subscriber churn (%)", stroke: "stroke-rose-600", fill: "fill-rose-600" },
  { key: "mrr", label: "MRR churn (%)", stroke: "stroke-amber-600", fill: "fill-amber-600", dash: "6 3" },
];
const RETENTION_SERIES: LineSeries[] = [
  { key: "actual", label: "Actual (all cohorts, %)", stroke: "stroke-sky-600", fill: "fill-sky-600" },
  { key: "fitted", label: "sBG model (%)", stroke: "stroke-emerald-700", fill: "fill-emerald-700", dash: "6 3" },
];
/** Ages shown in the cohort table, in months. */
const TABLE_AGES = [1, 3, 6, 12];

/** Pooled survival at each age: alive / size over the cohorts observed that long (what the chart's actual line is). */
function pooledSurvival(cohorts: SubscriptionReport["cohorts"]): { k: number; actual: number; fitted: number | null }[] {
  const maxAge = Math.max(-1, ...cohorts.map((c) => c.actual.length - 1));
  return Array.from({ length: maxAge + 1 }, (_, k) => {
    const seen = cohorts.filter((c) => c.actual.length > k);
    const size = seen.reduce((n, c) => n + c.size, 0);
    const alive = seen.reduce((n, c) => n + c.actual[k]! * c.size, 0);
    const fitted = cohorts.find((c) => c.fitted && c.fitted.length > k)?.fitted?.[k] ?? null;
    return { k, actual: size > 0 ? alive / size : 0, fitted };
  });
}

export function SubscriptionReportView({ report, currency }: { report: SubscriptionReport; currency: string }) {
  if (!report.hasSubscriptions) {
    return (
      <EmptyState title="No subscriptions yet">
        Subscriptions appear here once Stripe sends <code>customer.subscription.*</code> events to your webhook (Settings › Stripe lists the events
        to subscribe to). One-off purchases stay on the CLTV page.
      </EmptyState>
    );
  }
  const money = (v: number | null) => (v == null ? "–" : formatMoney(v, currency));
  const mrrPoints: LinePoint[] = report.months.map((m) => ({ label: MONTH.format(monthOf(m.month)), longLabel: MONTH_LONG.format(monthOf(m.month)), values: { mrr: m.mrrMinor } }));
  const churnPoints: LinePoint[] = report.months.map((m) => ({
    label: MONTH.format(monthOf(m.month)),
    longLabel: MONTH_LONG.format(monthOf(m.month)),
    values: { logo: Math.round((m.logoChurn ?? 0) * 1000) / 10, mrr: Math.round((m.mrrChurn ?? 0) * 1000) / 10 },
  }));
  const pooled = pooledSurvival(report.cohorts);
  const retentionPoints: LinePoint[] = pooled.map((p) => ({
    label: String(p.k),
    longLabel: `${p.k} month${p.k === 1 ? "" : "s"} after starting`,
    values: { actual: Math.round(p.actual * 1000) / 10, ...(p.fitted != null ? { fitted: Math.round(p.fitted * 1000) / 10 } : {}) },
  }));
  const fit = report.fit;
  return (
    <div className="space-y-6">
      {report.warnings.length ? (
        <Alert tone="warning">
          {report.warnings.map((w) => (
            <p key={w}>{w}</p>
          ))}
        </Alert>
      ) : null}
      <dl className="grid grid-cols-2 gap-4 lg:grid-cols-4">
        <StatCard label="MRR" value={money(report.current.mrrMinor)} hint={`${report.current.active.toLocaleString("en-US")} paying subscribers`} />
        <StatCard label="ARPU (monthly)" value={money(report.current.arpuMinor)} hint="MRR ÷ paying subscribers" />
        <StatCard
          label="Subscription CLTV"
          value={money(report.cltvMinor)}
          hint={report.discountedLifetimeMonths != null ? `ARPU × margin × ${report.discountedLifetimeMonths.toFixed(1)} discounted months (sBG)` : "Needs a retention fit"}
        />
        <StatCard label="Current base still worth" value={money(report.residualValueMinor)} hint="Σ MRR × margin × DERL at each subscriber's tenure" />
      </dl>
      <Card title="MRR per month">
        <div className="p-5">
          <LineChart title="Monthly recurring revenue at each month's end" series={MRR_SERIES} points={mrrPoints} valueLabel="MRR" formatValue={(v) => formatMoney(v, currency)} />
        </div>
      </Card>
      <Card title="Churn per month">
        <div className="p-5">
          <LineChart title="Subscribers and MRR lost in each month, as a share of the month's start" series={CHURN_SERIES} points={churnPoints} valueLabel="Percent" />
        </div>
      </Card>
      <Card title="Retention by months since starting: actual vs the sBG model">
        <div className="space-y-4 p-5">
          <p className="text-sm text-stone-600">
            The shifted-beta-geometric model (Fader &amp; Hardie 2007): each subscriber renews each month with their own probability, which varies across
            subscribers as a Beta(α, β), so the churn-prone leave first and retention rises with tenure.
            {fit ? (
              <>
                {" "}
                Fitted on {fit.subscribers.toLocaleString("en-US")} subscribers ({fit.churns.toLocaleString("en-US")} churned): α = {fit.alpha.toFixed(3)} (SE{" "}
                {fit.alphaSe.toFixed(3)}), β = {fit.beta.toFixed(3)} (SE {fit.betaSe.toFixed(3)}), log-likelihood {fit.logLikelihood.toFixed(1)}.
              </>
            ) : null}
          </p>
          <LineChart
            title="Share of subscribers still subscribed, by months since starting"
            series={fit ? RETENTION_SERIES : RETENTION_SERIES.slice(0, 1)}
            points={retentionPoints}
            valueLabel="Percent"
          />
          <Table caption="Retention per monthly cohort, actual and as the sBG model predicts">
            <thead>
              <tr>
                <Th>Cohort</Th>
                <Th className="text-right">Started</Th>
                {TABLE_AGES.map((k) => (
                  <Th key={k} className="text-right">
                    After {k} mo (actual / sBG)
                  </Th>
                ))}
              </tr>
            </thead>
            <tbody>
              {report.cohorts
                .slice(-12)
                .reverse()
                .map((c) => (
                  <tr key={c.cohort}>
                    <Td>{MONTH_LONG.format(monthOf(c.cohort))}</Td>
                    <Td className="text-right tabular-nums">{c.size.toLocaleString("en-US")}</Td>
                    {TABLE_AGES.map((k) => (
                      <Td key={k} className="text-right tabular-nums">
                        {k < c.actual.length ? `${pct(c.actual[k]!)} / ${pct(c.fitted?.[k] ?? null)}` : "–"}
                      </Td>
                    ))}
                  </tr>
                ))}
            </tbody>
          </Table>
        </div>
      </Card>
    </div>
  );
}
