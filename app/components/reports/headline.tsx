import { Card } from "~/components/ui";
import type { CupedComparison } from "~/domain/incrementality/stats";
import { signedMajor } from "~/lib/money";

/** The report's headline: incremental CLTV net of cost per member and in total, with intervals, for each arm. */
export function HeadlineCards({
  rows,
  currency,
}: {
  rows: {
    arm: string;
    lift: number;
    ci95: [number, number];
    pValue: number;
    total: number;
    totalCi: [number, number];
    cuped: CupedComparison;
    /** Regression adjustment (Lin 2013) on `covariates` pre-assignment covariates. */
    adjusted?: { lift: number; ci95: [number, number]; varianceReduction: number; covariates: number };
  }[];
  currency: string;
}) {
  const money = (minor: number, digits = 2) => signedMajor(minor, currency, digits);
  if (!rows.length) return null;
  return (
    <div className="grid gap-4 md:grid-cols-2">
      {rows.map((r) => (
        <Card key={r.arm} title={`${r.arm} vs control`}>
          <dl className="grid grid-cols-2 gap-4 px-5 py-4 text-sm">
            <div>
              <dt className="text-stone-600">Incremental CLTV per member</dt>
              <dd className="text-2xl font-semibold text-stone-900">
                {money(r.lift, 3)} {currency}
              </dd>
              <dd className="text-stone-600">
                95% CI {money(r.ci95[0], 3)} to {money(r.ci95[1], 3)}; p {Number.isFinite(r.pValue) ? (r.pValue < 0.0001 ? "< 0.0001" : r.pValue.toFixed(4)) : "—"}
              </dd>
            </div>
            <div>
              <dt className="text-stone-600">In total, net of cost</dt>
              <dd className="text-2xl font-semibold text-stone-900">
                {money(r.total, 0)} {currency}
              </dd>
              <dd className="text-stone-600">
                95% CI {money(r.totalCi[0], 0)} to {money(r.totalCi[1], 0)}
              </dd>
            </div>
            <div className="col-span-2 text-stone-600">
              With CUPED: {money(r.cuped.lift, 3)} (95% CI {money(r.cuped.ci95[0], 3)} to {money(r.cuped.ci95[1], 3)}), θ = {r.cuped.theta.toFixed(4)}, variance reduced by{" "}
              {(r.cuped.varianceReduction * 100).toFixed(1)}%.
              {r.adjusted ? (
                <>
                  {" "}
                  Regression-adjusted ({r.adjusted.covariates} covariates): {money(r.adjusted.lift, 3)} (95% CI {money(r.adjusted.ci95[0], 3)} to {money(r.adjusted.ci95[1], 3)}),
                  variance reduced by {(r.adjusted.varianceReduction * 100).toFixed(1)}%.
                </>
              ) : null}
            </div>
          </dl>
        </Card>
      ))}
    </div>
  );
}
