/**
 * A plain Nelder–Mead (Lagarias et al. 1998 coefficients), used by tests only as an independent check of the CLTV
 * fits: it uses no gradient and none of optimize.ts, so agreeing with the BFGS optimum is evidence for it.
 */
export function nelderMead(f: (x: readonly number[]) => number, x0: readonly number[], opts: { step?: number; maxIterations?: number; tol?: number } = {}): { x: number[]; fx: number; iterations: number } {
  const n = x0.length;
  const step = opts.step ?? 0.5;
  const maxIterations = opts.maxIterations ?? 5000;
  const tol = opts.tol ?? 1e-10;
  const value = (x: readonly number[]) => {
    const v = f(x);
    return Number.isFinite(v) ? v : Infinity;
  };
  let simplex = [x0.slice(), ...x0.map((_, i) => x0.map((xj, j) => (i === j ? xj + step : xj)))].map((x) => ({ x, fx: value(x) }));
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    simplex.sort((a, b) => a.fx - b.fx);
    const best = simplex[0]!;
    const worst = simplex[n]!;
    if (Math.abs(worst.fx - best.fx) <= tol * Math.max(1, Math.abs(best.fx))) break;
    const centroid = Array.from({ length: n }, (_, j) => simplex.slice(0, n).reduce((s, p) => s + p.x[j]!, 0) / n);
    const along = (t: number) => centroid.map((c, j) => c + t * (worst.x[j]! - c));
    const reflected = { x: along(-1), fx: 0 };
    reflected.fx = value(reflected.x);
    if (reflected.fx < best.fx) {
      const expanded = { x: along(-2), fx: 0 };
      expanded.fx = value(expanded.x);
      simplex[n] = expanded.fx < reflected.fx ? expanded : reflected;
    } else if (reflected.fx < simplex[n - 1]!.fx) {
      simplex[n] = reflected;
    } else {
      const outside = reflected.fx < worst.fx;
      const contracted = { x: along(outside ? -0.5 : 0.5), fx: 0 };
      contracted.fx = value(contracted.x);
      if (contracted.fx < (outside ? reflected.fx : worst.fx)) simplex[n] = contracted;
      else simplex = simplex.map((p, i) => (i === 0 ? p : { x: p.x.map((xj, j) => best.x[j]! + 0.5 * (xj - best.x[j]!)), fx: 0 })).map((p, i) => (i === 0 ? p : { x: p.x, fx: value(p.x) }));
    }
  }
  simplex.sort((a, b) => a.fx - b.fx);
  return { x: simplex[0]!.x, fx: simplex[0]!.fx, iterations };
}
