import { Badge, Card } from "~/components/ui";
import { PURCHASE_MODEL_LABELS, type PurchaseModelKind } from "~/domain/cltv/purchase-model-kinds";
import type { ScoringDiagnostics } from "~/domain/cltv/score-uncertainty";


/**
 * The fit that scores the members (issue 16 §4): which model, the penalizer, its own warnings (those the comparison
 * already shows are not repeated), how the per-member intervals were drawn, and Gamma-Gamma's independence check.
 */
export function ScoringCard({ scoring, kind, shownWarnings }: { scoring: ScoringDiagnostics; kind: PurchaseModelKind | undefined; shownWarnings: readonly string[] }) {
  const warnings = scoring.warnings.filter((w) => !shownWarnings.includes(w));
  const gg = scoring.spendIndependence;
  return (
    <Card title="The fit that scores the members">
      <ul className="space-y-1 text-sm text-stone-700">
        <li>
          Model: <Badge>{kind ? PURCHASE_MODEL_LABELS[kind] : "BG/NBD"}</Badge>{" "}
          {scoring.discretePeriodDays
            ? `— purchase opportunities are discrete, one every ${scoring.discretePeriodDays} days (Settings › CLTV), so BG/BB scores the members and the continuous-time models are not compared.`
            : "— fitted on every order."}
        </li>
        <li>Penalizer: {scoring.penalizer > 0 ? `${scoring.penalizer} (L2 on the log-parameters, as lifetimes' penalizer_coef)` : "none (plain maximum likelihood)"}.</li>
        <li>
          {scoring.intervals
            ? `Per-member ${Math.round(scoring.intervals.level * 100)}% intervals: ${scoring.intervals.draws} parameter draws from the fit's covariance, shared by every member (${scoring.intervals.ms} ms).` +
              (scoring.intervals.spendNote ? ` ${scoring.intervals.spendNote}` : "")
            : "No per-member intervals: the fit's Hessian gives no usable covariance."}
        </li>
        {gg ? (
          <li>
            Gamma-Gamma independence: correlation of repeat purchases and mean repeat spend{" "}
            <span className="tabular-nums">{gg.r === null ? "not computable" : `r = ${gg.r.toFixed(2)}`}</span> over {gg.customers.toLocaleString("en-US")} repeat customers{" "}
            {gg.flagged ? <Badge tone="amber">above 0.3: spend per order depends on frequency, so expected spend is biased</Badge> : gg.r === null ? null : "(close to 0: the assumption holds)"}.
          </li>
        ) : null}
      </ul>
      {warnings.length > 0 ? (
        <div role="alert" className="mt-3 rounded border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900">
          <p className="font-semibold">Treat this fit with care</p>
          <ul className="ml-5 list-disc">
            {warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        </div>
      ) : null}
    </Card>
  );
}
