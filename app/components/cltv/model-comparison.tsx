import { Badge, Card, Table, Td, Th } from "~/components/ui";
import type { ModelComparison } from "~/domain/cltv/model-choice";
import { PURCHASE_MODEL_LABELS, type PurchaseModelKind } from "~/domain/cltv/purchase-model-kinds";

const PARAM_LABEL: Record<string, string> = { r: "r", alpha: "α", a: "a", b: "b", s: "s", beta: "β" };

/** BG/NBD, MBG/NBD and Pareto/NBD side by side on the validation split, the chosen one marked, with its warnings. */
export function ModelComparisonCard({ comparison, scoredWith, holdout }: { comparison: ModelComparison; scoredWith: PurchaseModelKind | undefined; holdout: { start: string; end: string } | null }) {
  return (
    <Card title="Purchase models compared">
      <p className="mb-3 text-sm text-stone-600">
        Each model is fitted on the orders before the holdout{holdout ? ` (${holdout.start} … ${holdout.end})` : ""} and judged by its mean absolute error per customer on the holdout
        ({comparison.customers.toLocaleString("en-US")} customers, {comparison.holdoutActual.toLocaleString("en-US")} repeat purchases). The lowest error is chosen, refitted on every order
        and used for the scores. Standard errors come from the inverse Hessian of the likelihood.
      </p>
      {comparison.warnings.length > 0 ? (
        <div role="alert" className="mb-3 rounded border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900">
          <p className="font-semibold">Treat these fits with care</p>
          <ul className="ml-5 list-disc">
            {comparison.warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        </div>
      ) : null}
      <Table caption="Purchase models on the holdout: log-likelihood, AIC, per-customer error and parameters with standard errors">
        <thead>
          <tr>
            <Th>Model</Th>
            <Th className="text-right">Log-likelihood</Th>
            <Th className="text-right">AIC</Th>
            <Th className="text-right">Holdout MAE per customer</Th>
            <Th className="text-right">Holdout predicted</Th>
            <Th>Parameters (± SE)</Th>
          </tr>
        </thead>
        <tbody className="divide-y divide-stone-100">
          {comparison.models.map((m) => (
            <tr key={m.kind}>
              <Td>
                <span className="font-medium">{PURCHASE_MODEL_LABELS[m.kind]}</span>{" "}
                {m.kind === comparison.chosen ? <Badge tone="green">chosen</Badge> : null}
                {m.kind === scoredWith && m.kind !== comparison.chosen ? <Badge tone="neutral">scores</Badge> : null}
                {m.ridge ? <Badge tone="red">ridge</Badge> : null}
                {!m.converged ? <Badge tone="red">did not converge</Badge> : null}
              </Td>
              <Td className="text-right tabular-nums">{m.logLikelihood.toFixed(2)}</Td>
              <Td className="text-right tabular-nums">{m.aic.toFixed(2)}</Td>
              <Td className="text-right tabular-nums">{m.holdoutMae.toFixed(4)}</Td>
              <Td className="text-right tabular-nums">{m.holdoutPredicted.toFixed(1)}</Td>
              <Td className="tabular-nums">
                {Object.entries(m.params)
                  .map(([k, v]) => `${PARAM_LABEL[k] ?? k} ${v.toFixed(4)}${m.standardErrors ? ` ± ${m.standardErrors[k]?.toFixed(4)}` : ""}`)
                  .join(", ")}
              </Td>
            </tr>
          ))}
        </tbody>
      </Table>
    </Card>
  );
}
