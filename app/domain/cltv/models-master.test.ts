import { describe, expect, it } from "vitest";
import { cdnowMasterRows } from "../../../tests/support/cdnow-rows";
import { nelderMead } from "../../../tests/support/nelder-mead";
import { bgnbdTotalLogLikelihood, fitBgNbd } from "./bgnbd";
import { fitMbgNbd, mbgnbdNegLogLikelihoodWithGradient } from "./mbgnbd";
import { fitParetoNbd, paretoNbdNegLogLikelihood } from "./pareto-nbd";

/**
 * Issue 16 §4: the full CDNOW master fit of each model must equal a numerical MLE to 1%. The check is independent of
 * the fit: a gradient-free Nelder–Mead (tests/support/nelder-mead.ts, not optimize.ts), started elsewhere, on the
 * log-likelihood, and it must reach the same parameters within 1% and a log-likelihood no better than the fit's.
 */
const within1pct = (got: number, want: number) => expect(Math.abs(got / want - 1)).toBeLessThan(0.01);

describe("CDNOW master (23,570 customers): each fit equals an independent numerical MLE to 1%", () => {
  const rows = cdnowMasterRows();
  const customers = rows.reduce((s, r) => s + r.weight, 0);

  it("has the 23,570 customers", () => expect(customers).toBe(23570));

  it("Pareto/NBD", () => {
    const fit = fitParetoNbd(rows);
    const nm = nelderMead((v) => paretoNbdNegLogLikelihood(v, rows), [0, Math.log(5), 0, Math.log(5)]);
    const [r, alpha, s, beta] = nm.x.map(Math.exp) as [number, number, number, number];
    within1pct(fit.r, r);
    within1pct(fit.alpha, alpha);
    within1pct(fit.s, s);
    within1pct(fit.beta, beta);
    expect(fit.logLikelihood).toBeGreaterThanOrEqual(-nm.fx - 1e-3);
    within1pct(fit.logLikelihood, -nm.fx);
  }, 180_000);

  it("MBG/NBD", () => {
    const fit = fitMbgNbd(rows);
    const nm = nelderMead((v) => mbgnbdNegLogLikelihoodWithGradient(v, rows).f, [Math.log(2), Math.log(2), Math.log(2), Math.log(2)]);
    const [r, alpha, a, b] = nm.x.map(Math.exp) as [number, number, number, number];
    within1pct(fit.r, r);
    within1pct(fit.alpha, alpha);
    within1pct(fit.a, a);
    within1pct(fit.b, b);
    expect(fit.logLikelihood).toBeGreaterThanOrEqual(-nm.fx - 1e-3);
  }, 60_000);

  it("BG/NBD", () => {
    const fit = fitBgNbd(rows);
    const f = (v: readonly number[]) => {
      const [r = 0, alpha = 0, a = 0, b = 0] = v.map(Math.exp);
      return -bgnbdTotalLogLikelihood({ r, alpha, a, b }, rows);
    };
    const nm = nelderMead(f, [Math.log(2), Math.log(2), Math.log(2), Math.log(2)]);
    const [r, alpha, a, b] = nm.x.map(Math.exp) as [number, number, number, number];
    within1pct(fit.r, r);
    within1pct(fit.alpha, alpha);
    within1pct(fit.a, a);
    within1pct(fit.b, b);
    expect(fit.logLikelihood).toBeGreaterThanOrEqual(-nm.fx - 1e-3);
  }, 60_000);
});
