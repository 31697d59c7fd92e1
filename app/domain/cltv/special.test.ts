import { describe, expect, it } from "vitest";
import { hyp2f1, lnGamma, logHyp2f1 } from "./special";
import { minimizeMultiStart, nelderMead } from "./optimize";

describe("special functions", () => {
  it("lnΓ matches known values", () => {
    expect(lnGamma(1)).toBe(0);
    expect(lnGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(lnGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12);
  });

  it("₂F₁(2.243, 4.426; 4.219; 0.4740258) = 4.5753159 (published)", () => {
    expect(hyp2f1(2.243, 4.426, 4.219, 0.4740258)).toBeCloseTo(4.5753159, 6);
  });

  it("₂F₁ closed forms: ₂F₁(1,1;2;z) = −ln(1−z)/z and ₂F₁(a,b;b;z) = (1−z)^−a", () => {
    expect(hyp2f1(1, 1, 2, 0.9)).toBeCloseTo(-Math.log(0.1) / 0.9, 10);
    expect(logHyp2f1(500.3, 3, 3, 0.6)).toBeCloseTo(-500.3 * Math.log(0.4), 8);
  });

  it("₂F₁ is NaN (not a wrong number) when c ≤ 0 or z out of range", () => {
    expect(logHyp2f1(1, 1, 0, 0.5)).toBeNaN();
    expect(logHyp2f1(1, 1, -0.2, 0.5)).toBeNaN();
    expect(logHyp2f1(1, 1, 2, 1)).toBeNaN();
  });
});

describe("Nelder-Mead", () => {
  it("minimises the Rosenbrock function", () => {
    const rosen = (v: readonly number[]) => 100 * (v[1]! - v[0]! ** 2) ** 2 + (1 - v[0]!) ** 2;
    const r = nelderMead(rosen, [-1.2, 1]);
    expect(r.converged).toBe(true);
    expect(r.x[0]).toBeCloseTo(1, 5);
    expect(r.x[1]).toBeCloseTo(1, 5);
  });

  it("keeps the best of several starts and steps away from infeasible points", () => {
    // Two wells; NaN left of −3 (infeasible).
    const f = (v: readonly number[]) => (v[0]! < -3 ? Number.NaN : Math.min((v[0]! - 2) ** 2, (v[0]! + 2) ** 2 + 1));
    const r = minimizeMultiStart(f, [[-2.5], [1]]);
    expect(r.x[0]).toBeCloseTo(2, 5);
    expect(r.fx).toBeCloseTo(0, 8);
  });
});
