/**
 * Coverage of the incrementality report's 95% intervals on the simulated known-truth world (app/demo/simulate.ts:
 * BG/NBD + Gamma-Gamma members, a program that raises purchases, a 20%-off gift used by a known share, points redeemed
 * and points still held, discounted by breakage). Issue 16's "Done means": the interval covers the true net value in
 * 95 ± 3% of at least 200 seeds. Prints, per scenario, the covered share with its Wilson 95% interval, the mean estimate
 * against the truth, and which side the misses fall on. Pure CPU (the database the runner starts is not used).
 * `npm run bench coverage`; COVERAGE_SEEDS (default 200) and COVERAGE_N_PER_ARM (default 400) change the size.
 */
import os from "node:os";
import { DEFAULT_SIMULATION, NO_COST, simulateCoverage, type SimulationParams } from "../../app/demo/simulate";
import { wilson } from "../../app/domain/incrementality/referral-stats";

const SEEDS = Number(process.env.COVERAGE_SEEDS ?? 200);
const N_PER_ARM = Number(process.env.COVERAGE_N_PER_ARM ?? 400);
const SEED = 20261207;

const SCENARIOS: {
  name: string;
  params: SimulationParams;
  nPerArm?: number;
}[] = [
  {
    name: "net of gift, redeemed points and liability (breakage known)",
    params: DEFAULT_SIMULATION,
  },
  {
    name: "same, breakage estimated from 200 settled lots",
    params: { ...DEFAULT_SIMULATION, breakageHistoryLots: 200 },
  },
  {
    name: "same, breakage estimated from 20 settled lots (the report's minimum)",
    params: { ...DEFAULT_SIMULATION, breakageHistoryLots: 20 },
  },
  {
    name: "revenue only (no program cost)",
    params: { ...DEFAULT_SIMULATION, ...NO_COST },
  },
  // Where a shared, estimated breakage starts to matter: 50× the members shrink the interval 7×, not the breakage error.
  {
    name: "20,000 per arm, breakage known",
    params: DEFAULT_SIMULATION,
    nPerArm: 20_000,
  },
  {
    name: "20,000 per arm, breakage estimated from 20 settled lots",
    params: { ...DEFAULT_SIMULATION, breakageHistoryLots: 20 },
    nPerArm: 20_000,
  },
];

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export async function run(): Promise<void> {
  console.log(
    `load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}; ${SEEDS} seeds × ${N_PER_ARM} members per arm`,
  );
  for (const { name, params, nPerArm } of SCENARIOS) {
    const cpu = process.cpuUsage();
    const r = simulateCoverage(SEED, SEEDS, nPerArm ?? N_PER_ARM, params);
    const used = process.cpuUsage(cpu);
    console.log(`\n${name}: truth ${r.truth.toFixed(3)} per member`);
    for (const k of ["plain", "cuped"] as const) {
      const [lo, hi] = wilson(r.covered[k], SEEDS).ci95!;
      const within = r.covered[k] / SEEDS >= 0.92 && r.covered[k] / SEEDS <= 0.98 ? "within 95 ± 3%" : "OUTSIDE 95 ± 3%";
      console.log(
        `  ${k.padEnd(5)} covered ${r.covered[k]}/${SEEDS} = ${pct(r.covered[k] / SEEDS)} (Wilson 95% ${pct(lo)} – ${pct(hi)}), ${within}; ` +
          `mean estimate ${r.meanLift[k].toFixed(3)} ± ${r.seOfMean[k].toFixed(3)} (bias ${(r.meanLift[k] - r.truth).toFixed(3)})`,
      );
    }
    console.log(`  plain misses: ${r.missesAbove} above the truth, ${r.missesBelow} below; CPU ${((used.user + used.system) / 1e6).toFixed(2)} s`);
  }
}
