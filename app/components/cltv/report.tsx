import { Form, Link } from "@remix-run/react";
import { Badge, Button, Card, EmptyState, Table, Td, Th } from "~/components/ui";
import type { CltvReport, SegmentRow } from "~/domain/cltv/report-types";
import type { ScoringDiagnostics } from "~/domain/cltv/score-uncertainty";
import { formatMoney } from "~/lib/money";
import { GroupedBars, Histogram } from "./charts";
import { ModelComparisonCard } from "./model-comparison";
import { ScoringCard } from "./scoring-card";

/** The scoring diagnostics fits since issue 16 §4 store beside FitDiagnostics (absent on older fits). */
const scoringOf = (d: object): ScoringDiagnostics | null => ("scoring" in d && d.scoring ? (d.scoring as ScoringDiagnostics) : null);

const SEGMENT_LABEL: Record<SegmentRow["segment"], string> = {
  top: "Top 20%",
  middle: "Middle 60%",
  bottom: "Bottom 20%",
  at_risk: "At risk",
};
const SEGMENT_HINT: Record<SegmentRow["segment"], string> = {
  top: "Highest predicted 12-month CLTV",
  middle: "",
  bottom: "Lowest predicted 12-month CLTV",
  at_risk: "Past spend in the top 30%, probability alive below 50%",
};

function csvHref(slug: string, table: string) {
  return `/admin/${slug}/cltv.csv?table=${table}`;
}

function CsvLink({ slug, table }: { slug: string; table: string }) {
  return (
    <a href={csvHref(slug, table)} className="text-sm font-medium text-brand-700 underline" download>
      Download CSV<span className="sr-only"> of the {table} table</span>
    </a>
  );
}

const pct = (v: number | null, d = 1) => (v === null ? "—" : `${(v * 100).toFixed(d)}%`);
const num = (v: number | null, d = 2) => (v === null ? "—" : v.toFixed(d));

export function CltvReportView({ report, slug, canRefit, busy }: { report: CltvReport; slug: string; canRefit: boolean; busy: boolean }) {
  const money = (minor: number | null) => (minor === null ? "—" : formatMoney(minor, report.currency));
  const { model, classic, classicInputs: ci } = report;
  const scoring = model ? scoringOf(model.diagnostics) : null;
  const refit = canRefit ? (
    <Form method="post">
      <Button type="submit" name="intent" value="refit" busy={busy}>
        Refit and rescore now
      </Button>
    </Form>
  ) : null;

  return (
    <div className="space-y-6">
      {!model ? (
        <EmptyState title="No CLTV model yet" action={refit}>
          The models are fitted every night once the merchant has at least 10 customers, 2 of them with repeat purchases.
        </EmptyState>
      ) : (
        <>
          <Card title="Model" actions={refit}>
            <dl className="grid grid-cols-1 gap-x-8 gap-y-1 text-sm sm:grid-cols-[auto_1fr]">
              <dt className="text-stone-500">Fitted</dt>
              <dd>
                {new Date(model.createdAt).toISOString().slice(0, 16).replace("T", " ")} UTC on orders {model.calibrationStart ?? "—"} … {model.calibrationEnd} ({model.modelVersion},{" "}
                {(model.durationMs / 1000).toFixed(1)} s)
              </dd>
              <dt className="text-stone-500">Customers</dt>
              <dd>
                {model.customers.toLocaleString("en-US")} ({model.repeatCustomers.toLocaleString("en-US")} with repeat purchases), {report.scoredMembers.toLocaleString("en-US")} members scored
              </dd>
              <dt className="text-stone-500">BG/NBD (time unit {model.timeUnit})</dt>
              <dd className="tabular-nums">
                r {num(model.bgnbd.r, 4)}, α {num(model.bgnbd.alpha, 4)}, a {num(model.bgnbd.a, 4)}, b {num(model.bgnbd.b, 4)}; log-likelihood {num(model.bgnbd.logLikelihood, 2)}{" "}
                {model.bgnbd.converged ? <Badge tone="green">converged</Badge> : <Badge tone="red">did not converge</Badge>}
              </dd>
              <dt className="text-stone-500">Gamma-Gamma</dt>
              <dd className="tabular-nums">
                {model.gammaGamma
                  ? `p ${num(model.gammaGamma.p, 4)}, q ${num(model.gammaGamma.q, 4)}, γ ${num(model.gammaGamma.gamma, 4)}; log-likelihood ${num(model.gammaGamma.logLikelihood, 2)} on ${model.gammaGamma.customers} repeat customers`
                  : `not fitted (${model.diagnostics.gammaGammaNote ?? "too few repeat customers"}); members get the mean order value`}
              </dd>
            </dl>
          </Card>

          <Card title="Predicted 12-month CLTV per member" actions={<CsvLink slug={slug} table="distribution" />}>
            {report.distribution ? (
              <Histogram
                title="Distribution of predicted 12-month CLTV"
                description={`Members by predicted, discounted 12-month gross margin, in bins of ${money(report.distribution.binWidthMinor)}; the last bin holds the top 1%.`}
                counts={report.distribution.counts}
                binLabel={(i) => money(i * report.distribution!.binWidthMinor)}
                xLabel={`Predicted 12-month CLTV (${report.currency}, last bin and above)`}
              />
            ) : (
              <p className="text-sm text-stone-600">No member is scored yet.</p>
            )}
          </Card>

          <section aria-labelledby="cltv-segments" className="space-y-2">
            <div className="flex items-center justify-between">
              <h2 id="cltv-segments" className="text-base font-semibold text-stone-900">
                Value segments
              </h2>
              <div className="flex items-center gap-4">
                {report.scoredMembers > 0 ? (
                  <a href={`/admin/${slug}/cltv/members.csv`} className="text-sm font-medium text-brand-700 underline" download>
                    Download per-member scores (CSV)
                  </a>
                ) : null}
                <a href={`/admin/${slug}/cltv/rfm.csv`} className="text-sm font-medium text-brand-700 underline" download>
                  Download RFM summary (CSV)
                </a>
                <CsvLink slug={slug} table="segments" />
              </div>
            </div>
            <Table caption="Value segments by predicted CLTV, and at-risk members">
              <thead>
                <tr>
                  <Th>Segment</Th>
                  <Th className="text-right">Members</Th>
                  <Th className="text-right">12-month CLTV</Th>
                  <Th className="text-right">36-month CLTV</Th>
                  <Th className="text-right">Past spend</Th>
                  <Th className="text-right">Mean P(alive)</Th>
                </tr>
              </thead>
              <tbody className="divide-y divide-stone-100">
                {report.segments.map((s) => (
                  <tr key={s.segment}>
                    <Td>
                      <span className="font-medium">{SEGMENT_LABEL[s.segment]}</span>
                      {SEGMENT_HINT[s.segment] ? <span className="block text-xs text-stone-500">{SEGMENT_HINT[s.segment]}</span> : null}
                    </Td>
                    <Td className="text-right tabular-nums">{s.members.toLocaleString("en-US")}</Td>
                    <Td className="text-right tabular-nums">{money(s.cltv12mMinor)}</Td>
                    <Td className="text-right tabular-nums">{money(s.cltv36mMinor)}</Td>
                    <Td className="text-right tabular-nums">{money(s.pastValueMinor)}</Td>
                    <Td className="text-right tabular-nums">{pct(s.meanPAlive)}</Td>
                  </tr>
                ))}
              </tbody>
            </Table>
          </section>

          {model.diagnostics.modelChoice ? (
            <ModelComparisonCard comparison={model.diagnostics.modelChoice} scoredWith={model.diagnostics.scoredWith?.kind} holdout={model.diagnostics.validation?.holdout ?? null} />
          ) : null}
          {scoring ? (
            <ScoringCard scoring={scoring} kind={model.diagnostics.scoredWith?.kind} shownWarnings={model.diagnostics.modelChoice?.warnings ?? []} />
          ) : null}

          <Card title="How well the model fits" actions={<CsvLink slug={slug} table="fit" />}>
            <div className="grid grid-cols-1 gap-6 xl:grid-cols-2">
              <div>
                <h3 className="mb-2 text-sm font-semibold text-stone-800">Calibration: customers by repeat purchases</h3>
                <GroupedBars
                  title="Customers by number of repeat purchases, actual and expected"
                  description="For each number of repeat purchases 0 to 7 or more, the actual number of customers and the number the BG/NBD model expects."
                  categories={model.diagnostics.calibration.map((r) => r.x)}
                  series={[
                    { label: "Actual", color: "#7c4a2d", values: model.diagnostics.calibration.map((r) => r.actual) },
                    { label: "Model", color: "#a8a29e", values: model.diagnostics.calibration.map((r) => r.expected) },
                  ]}
                  xLabel="Repeat purchases"
                  yLabel="Customers"
                  format={(v) => (v >= 1000 ? `${(v / 1000).toFixed(1)}k` : String(Math.round(v)))}
                />
              </div>
              <div>
                <h3 className="mb-2 text-sm font-semibold text-stone-800">Holdout: predicted vs actual purchases</h3>
                {model.diagnostics.validation ? (
                  <>
                    <GroupedBars
                      title="Repeat purchases per customer in the holdout period, actual and predicted"
                      description={`Fitted on orders through ${model.diagnostics.validation.calibrationEnd}; mean repeat purchases after it, by repeat purchases before it.`}
                      categories={model.diagnostics.validation.holdout.byX.map((r) => r.x)}
                      series={[
                        { label: "Actual", color: "#7c4a2d", values: model.diagnostics.validation.holdout.byX.map((r) => r.actualMean) },
                        { label: "Predicted", color: "#a8a29e", values: model.diagnostics.validation.holdout.byX.map((r) => r.predictedMean) },
                      ]}
                      xLabel="Repeat purchases in calibration"
                      yLabel="Mean purchases in holdout"
                      format={(v) => v.toFixed(1)}
                    />
                    <p className="mt-2 text-sm text-stone-600">
                      Holdout {model.diagnostics.validation.holdout.start} … {model.diagnostics.validation.holdout.end}: {model.diagnostics.validation.holdout.actual.toLocaleString("en-US")} actual
                      repeat purchases, {Math.round(model.diagnostics.validation.holdout.predicted).toLocaleString("en-US")} predicted.
                    </p>
                  </>
                ) : (
                  <p className="text-sm text-stone-600">Needs at least 90 days of orders to hold some out.</p>
                )}
              </div>
            </div>
          </Card>
        </>
      )}

      <Card title="Classic figures beside the model" actions={<CsvLink slug={slug} table="classic" />}>
        <p className="mb-4 text-sm text-stone-600">
          From the last 12 months of orders: {ci.activeCustomers.toLocaleString("en-US")} buying members, {ci.orders.toLocaleString("en-US")} orders, {money(ci.revenueMinor)} revenue; churn is the share
          of the {ci.priorCustomers.toLocaleString("en-US")} earlier customers who did not buy again ({ci.retainedCustomers.toLocaleString("en-US")} did). Margin and costs come from{" "}
          <Link to={`/admin/${slug}/settings/cltv`} className="font-medium underline">
            CLTV settings
          </Link>
          .
        </p>
        <div className="grid grid-cols-1 gap-4 lg:grid-cols-2 xl:grid-cols-4">
          <Figure title="ARPU × margin × lifetime" value={money(classic.arpuFormulaMinor)}>
            {money(classic.arpuMinor)} a year × {pct(ci.grossMargin)} × {num(classic.expectedLifetime)} years
          </Figure>
          <Figure title="(Order × frequency × lifespan) − costs" value={money(classic.ltvNetOfCostsMinor)}>
            ({money(classic.averageOrderMinor)} × {num(classic.purchaseFrequency)} a year × {num(classic.expectedLifetime)} years) − ({money(ci.acquisitionCostMinor)} +{" "}
            {money(ci.retentionCostMinorPerYear)} a year × {num(classic.expectedLifetime)} years)
          </Figure>
          <Figure title="CLV = LTV × margin" value={money(classic.clvMinor)}>
            {money(classic.ltvMinor)} × {pct(ci.grossMargin)}
          </Figure>
          <Figure title="Model: mean predicted CLTV" value={`${money(report.model12mMeanMinor)} / ${money(report.model36mMeanMinor)}`}>
            12 / 36 months, discounted at {pct(report.settings.annualDiscountRateBps / 10_000)} a year, gross margin {pct(report.settings.grossMarginBps / 10_000)}
          </Figure>
        </div>
        {classic.expectedLifetime === null ? (
          <p className="mt-3 text-sm text-stone-600">Expected lifetime needs a year of earlier customers of whom some did not return; until then the lifetime-based figures are blank.</p>
        ) : null}
      </Card>
    </div>
  );
}

function Figure({ title, value, children }: { title: string; value: string; children: React.ReactNode }) {
  return (
    <div className="rounded-lg border border-stone-200 px-4 py-3">
      <h3 className="text-sm text-stone-600">{title}</h3>
      <p className="mt-1 text-2xl font-semibold tabular-nums text-stone-900">{value}</p>
      <p className="mt-1 text-xs text-stone-600">{children}</p>
    </div>
  );
}
