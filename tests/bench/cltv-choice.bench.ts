/**
 * The CLTV model choice and per-member intervals on the demo merchant's data (issue 16 §4), in process and without
 * the database: the demo seed's generated orders → purchase days (UTC) → the validation split's comparison of the
 * three purchase models with and without the Pareto/NBD warm start (alternating, twice each), then the scored fit's
 * standard errors and the 90% intervals of every member. CPU time (process.cpuUsage) is printed beside wall time:
 * the machine is shared, CPU time suffers less from its load.
 */
import os from "node:os";
import { generateDemoData } from "../../app/demo/generate";
import { DEMO_LOYALTY_PROGRAM } from "../../app/demo/incrementality.server";
import { DEMO_SEED } from "../../app/demo/seed.server";
import { fitBgNbd } from "../../app/domain/cltv/bgnbd";
import { spendRows } from "../../app/domain/cltv/fit.server";
import { fitGammaGamma } from "../../app/domain/cltv/gamma-gamma";
import { compareModels, fitPurchaseModel, logParamsOf, PURCHASE_MODEL_KINDS } from "../../app/domain/cltv/model-choice";
import { scoreMembers } from "../../app/domain/cltv/score";
import { memberIntervals } from "../../app/domain/cltv/score-intervals";
import { scoringUncertainty } from "../../app/domain/cltv/score-uncertainty";
import { buildSummary, compress } from "../../app/domain/cltv/summary";

const NOW = new Date("2026-11-22T17:00:00Z");

function measure<T>(fn: () => T): { value: T; wallMs: number; cpuMs: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = fn();
  const c = process.cpuUsage(c0);
  return { value, wallMs: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 };
}

export async function run(): Promise<void> {
  const load = () => os.loadavg().map((l) => l.toFixed(2)).join(" ");
  console.log(`load average before: ${load()}`);
  const data = generateDemoData({ seed: DEMO_SEED, now: NOW, members: 2000, timeZone: "UTC", program: DEMO_LOYALTY_PROGRAM });
  const byDay = new Map<string, { customerId: string; date: string; amount: number }>();
  for (const o of data.orders) {
    const date = o.occurredAt.toISOString().slice(0, 10);
    const key = `${o.memberKey}|${date}`;
    const hit = byDay.get(key);
    if (hit) hit.amount += o.amountMinor / 100;
    else byDay.set(key, { customerId: String(o.memberKey), date, amount: o.amountMinor / 100 });
  }
  const transactions = [...byDay.values()];
  const today = NOW.toISOString().slice(0, 10);
  const first = transactions.reduce((m, t) => (t.date < m ? t.date : m), today);
  const span = (Date.parse(today) - Date.parse(first)) / 86_400_000;
  const holdoutDays = Math.min(182, Math.floor(span / 3));
  const calibrationEnd = new Date(Date.parse(today) - holdoutDays * 86_400_000).toISOString().slice(0, 10);
  const validation = buildSummary(transactions, { calibrationEnd, holdoutEnd: today, timeUnit: "week" });
  console.log(`${data.orders.length} orders, ${transactions.length} purchase days, ${validation.length} customers; holdout ${holdoutDays} days`);

  const rows: string[] = [];
  for (const warm of [false, true, true, false]) {
    const m = measure(() => compareModels(validation, holdoutDays / 7, { warmStart: warm }));
    const p = m.value.models.find((x) => x.kind === "pareto_nbd")!;
    rows.push(`| ${warm ? "warm start" : "generic starts"} | ${m.wallMs.toFixed(0)} | ${m.cpuMs.toFixed(0)} | ${p.logLikelihood.toFixed(3)} | ${m.value.chosen} |`);
  }
  console.log("| comparison (3 models, validation split) | wall ms | CPU ms | Pareto/NBD LL | chosen |\n|---|---:|---:|---:|---|");
  console.log(rows.join("\n"));

  const full = buildSummary(transactions, { calibrationEnd: today, timeUnit: "week" });
  const fullRows = compress(full);
  const bg = fitBgNbd(fullRows);
  const gg = fitGammaGamma(spendRows(full));
  const histories = full.map((s) => ({ memberId: s.customerId, x: s.x, tx: s.tx, T: s.T, zbar: s.zbar, spend: s.spend }));
  const economics = { timeUnit: "week" as const, meanSpend: 0, grossMargin: 0.6, annualDiscountRate: 0.1, minorScale: 100 };
  const choice = compareModels(validation, holdoutDays / 7);
  for (const kind of PURCHASE_MODEL_KINDS) {
    const calibration = choice.models.find((m) => m.kind === kind)!;
    const refit = measure(() => fitPurchaseModel(kind, fullRows, { start: logParamsOf(kind, calibration.params) }));
    const cold = measure(() => fitPurchaseModel(kind, fullRows));
    const model = refit.value;
    const score = measure(() => scoreMembers(histories, { bgnbd: bg, purchaseModel: model, gammaGamma: gg, ...economics }));
    const u = measure(() => scoringUncertainty({ kind, params: model.params, rows: fullRows, repeatBuyers: full.filter((s) => s.x > 0).length, penalizer: 0, gammaGamma: gg, spendRows: spendRows(full) }));
    const iv = measure(() => memberIntervals(histories, { purchaseDraws: u.value.draws!.purchase, spendDraws: u.value.draws!.spend, ...economics }));
    const inside = iv.value.filter((r, i) => r.cltv12mMinor[0] <= score.value[i]!.cltv12mMinor && score.value[i]!.cltv12mMinor <= r.cltv12mMinor[1]).length;
    console.log(
      `${kind}${kind === choice.chosen ? " (chosen)" : ""} on ${full.length} members: refit warm ${refit.cpuMs.toFixed(0)} ms CPU (cold ${cold.cpuMs.toFixed(0)}); ` +
        `point scores ${score.cpuMs.toFixed(0)} ms CPU; SEs + ${u.value.draws!.purchase.length} draws ${u.cpuMs.toFixed(0)} ms CPU; intervals ${iv.wallMs.toFixed(0)} ms wall / ${iv.cpuMs.toFixed(0)} ms CPU ` +
        `(${inside} of ${full.length} point CLTVs inside their interval)`,
    );
  }
  console.log(`load average after: ${load()}`);
}
