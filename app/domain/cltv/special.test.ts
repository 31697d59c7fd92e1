import { describe, expect, it } from "vitest";
import { hyp2f1, lnGamma, logHyp2f1, signedLogHyp2f1 } from "./special";
import { bfgs, minimizeMultiStart } from "./optimize";

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

  it("signed ₂F₁ for −1 < c < 0 (BG/NBD with a + b < 1 and x = 0) matches mpmath, including a negative value", () => {
    const pos = signedLogHyp2f1(0.341, 0.289, -0.525, 0.4);
    expect(pos.sign).toBe(1);
    expect(Math.exp(pos.log)).toBeCloseTo(0.8233864687640874, 12); // mpmath.hyp2f1(0.341, 0.289, -0.525, 0.4)
    const neg = signedLogHyp2f1(1, 1, -0.2, 0.5);
    expect(neg.sign).toBe(-1);
    expect(Math.exp(neg.log)).toBeCloseTo(12.167749113565677, 10); // mpmath: −12.1677491135656772
    expect(signedLogHyp2f1(2.243, 4.426, 4.219, 0.4740258).sign).toBe(1);
    expect(signedLogHyp2f1(1, 1, -1, 0.5).sign).toBeNaN(); // a pole
  });
});

describe("BFGS", () => {
  const rosen = (v: readonly number[]) => {
    const [x = 0, y = 0] = v;
    return { f: 100 * (y - x * x) ** 2 + (1 - x) ** 2, g: [-400 * x * (y - x * x) - 2 * (1 - x), 200 * (y - x * x)] };
  };

  it("minimises the Rosenbrock function", () => {
    const r = bfgs(rosen, [-1.2, 1]);
    expect(r.converged).toBe(true);
    expect(r.x[0]).toBeCloseTo(1, 6);
    expect(r.x[1]).toBeCloseTo(1, 6);
    expect(r.gradientNorm).toBeLessThan(1e-6);
  });

  it("keeps the best of several starts and backs off from infeasible points", () => {
    // Two wells, the right one deeper; NaN left of −3 (infeasible).
    const f = (v: readonly number[]) => {
      const x = v[0]!;
      if (x < -3) return { f: Number.NaN, g: [Number.NaN] };
      return (x - 2) ** 2 < (x + 2) ** 2 + 1 ? { f: (x - 2) ** 2, g: [2 * (x - 2)] } : { f: (x + 2) ** 2 + 1, g: [2 * (x + 2)] };
    };
    const r = minimizeMultiStart(f, [[-2.9], [1]]);
    expect(r.starts).toBe(2);
    expect(r.x[0]).toBeCloseTo(2, 6);
    expect(r.fx).toBeCloseTo(0, 10);
    expect(bfgs(f, [-2.9]).x[0]).toBeCloseTo(-2, 6);
  });
});
