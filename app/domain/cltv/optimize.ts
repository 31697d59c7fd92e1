/**
 * Derivative-free minimisation for the CLTV fits: Nelder-Mead (Lagarias et al. 1998 coefficients, scipy-style
 * stopping rule), run from several starts and restarted once from the best point.
 *
 * Why our own: the only JS candidate, `fmin` 0.0.4, has not been released since 2016, ships no types and pulls in a
 * plotting dependency; Nelder-Mead is ~60 lines and its behaviour here (tolerances, restarts) is part of what the
 * published values depend on, so it is kept explicit and tested through the CDNOW fits.
 */

export type Objective = (x: readonly number[]) => number;

export interface NelderMeadOptions {
  maxIterations?: number;
  /** Stop when every vertex is within xTol of the best one (per coordinate)… */
  xTol?: number;
  /** …and every vertex value is within fTol of the best one. */
  fTol?: number;
  /** Initial simplex edge along each axis. */
  step?: number;
}

export interface MinimizeResult {
  x: number[];
  fx: number;
  iterations: number;
  converged: boolean;
}

interface Vertex {
  x: number[];
  f: number;
}

export function nelderMead(f: Objective, x0: readonly number[], options: NelderMeadOptions = {}): MinimizeResult {
  const n = x0.length;
  if (n === 0) throw new Error("nelderMead needs at least one parameter");
  const maxIterations = options.maxIterations ?? 1000 * n;
  const xTol = options.xTol ?? 1e-8;
  const fTol = options.fTol ?? 1e-10;
  const step = options.step ?? 0.5;
  // Non-finite values (infeasible points) rank as +∞ so the simplex moves away from them.
  const vertex = (x: number[]): Vertex => {
    const v = f(x);
    return { x, f: Number.isFinite(v) ? v : Infinity };
  };
  // c + coef·(c − w), coordinate-wise
  const along = (c: readonly number[], w: readonly number[], coef: number) => c.map((ci, j) => ci + coef * (ci - (w[j] ?? 0)));

  let simplex: Vertex[] = [vertex(x0.slice())];
  for (let i = 0; i < n; i++) simplex.push(vertex(x0.map((v, j) => (j === i ? v + step : v))));
  let iterations = 0;
  let converged = false;

  for (;;) {
    simplex.sort((p, q) => p.f - q.f);
    const best = simplex[0]!;
    const worst = simplex[n]!;
    const secondWorst = simplex[n - 1]!;
    let xSpread = 0;
    let fSpread = 0;
    for (const v of simplex) {
      fSpread = Math.max(fSpread, Math.abs(v.f - best.f));
      v.x.forEach((xj, j) => (xSpread = Math.max(xSpread, Math.abs(xj - (best.x[j] ?? 0)))));
    }
    if (xSpread <= xTol && fSpread <= fTol) {
      converged = true;
      break;
    }
    if (iterations >= maxIterations) break;
    iterations++;

    const centroid = new Array<number>(n).fill(0);
    for (const v of simplex.slice(0, n)) v.x.forEach((xj, j) => (centroid[j] = (centroid[j] ?? 0) + xj / n));

    const reflected = vertex(along(centroid, worst.x, 1));
    if (reflected.f < best.f) {
      const expanded = vertex(along(centroid, worst.x, 2));
      simplex[n] = expanded.f < reflected.f ? expanded : reflected;
      continue;
    }
    if (reflected.f < secondWorst.f) {
      simplex[n] = reflected;
      continue;
    }
    // Contraction: outside if the reflected point beat the worst, inside otherwise.
    const outside = reflected.f < worst.f;
    const contracted = vertex(along(centroid, worst.x, outside ? 0.5 : -0.5));
    if (contracted.f < (outside ? reflected.f : worst.f)) {
      simplex[n] = contracted;
      continue;
    }
    simplex = [best, ...simplex.slice(1).map((v) => vertex(v.x.map((xj, j) => (best.x[j] ?? 0) + 0.5 * (xj - (best.x[j] ?? 0)))))];
  }
  const best = simplex.reduce((p, q) => (q.f < p.f ? q : p));
  return { x: best.x.slice(), fx: best.f, iterations, converged };
}

/**
 * Best of several Nelder-Mead runs, then one restart from the winner with a small simplex (a collapsed simplex
 * can stop short of the optimum; restarting is the standard remedy).
 */
export function minimizeMultiStart(f: Objective, starts: readonly (readonly number[])[], options: NelderMeadOptions = {}): MinimizeResult {
  if (starts.length === 0) throw new Error("minimizeMultiStart needs at least one start");
  const best = starts.map((s) => nelderMead(f, s, options)).reduce((p, q) => (q.fx < p.fx ? q : p));
  const polished = nelderMead(f, best.x, { ...options, step: 0.05 });
  return polished.fx <= best.fx ? { ...polished, iterations: polished.iterations + best.iterations } : best;
}
