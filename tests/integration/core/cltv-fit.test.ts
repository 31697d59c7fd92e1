import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { withTenant } from "~/db.server";
import { conditionalExpectedPurchases } from "~/domain/cltv/bgnbd";
import { fitMerchantModels, type FitResult } from "~/domain/cltv/fit.server";
import { DomainError } from "~/lib/errors";
import { createMerchant } from "../../support/admin";
import { CDNOW_SUMMARY, readFixture } from "../../fixtures";
import { loadCdnow } from "../../support/cltv";
import { ownerUrl, testDb } from "../../support/db";

/**
 * `cltv fit` on the CDNOW sample loaded as a merchant's orders (UTC, one member per customer): the published BG/NBD and
 * Gamma-Gamma fits of Fader, Hardie & Lee (2005) and the 1,882 repeat purchases of the 39-week holdout.
 */

const run = promisify(execFile);
let merchant: { id: string; slug: string };
let cdnowFit: FitResult;

function cli(args: string[]) {
  return run(process.execPath, ["--import", "tsx", "app/bin/cli.ts", "cltv", "fit", ...args], {
    env: { ...process.env, DATABASE_URL: ownerUrl },
    timeout: 120_000,
  });
}

/** Σ E[Y(39) | x, t_x, T] over the published CDNOW summary with the published MLE, independent of this module's summaries. */
function publishedPrediction(): number {
  const params = { r: 0.242593, alpha: 4.413532, a: 0.792886, b: 2.425754 };
  const rows = readFixture(CDNOW_SUMMARY).trim().split("\n").slice(1);
  expect(rows).toHaveLength(2357);
  return rows.reduce((sum, line) => {
    const [, x, tx, T] = line.split(",").map(Number);
    return sum + conditionalExpectedPurchases(params, 39, x!, tx!, T!);
  }, 0);
}

beforeAll(async () => {
  merchant = await createMerchant({ currency: "USD", timezone: "UTC" });
  const loaded = await loadCdnow(merchant.id);
  expect(loaded).toEqual({ orders: 6919, customers: 2357 });
  cdnowFit = await withTenant(testDb(), merchant.id, (trx) => fitMerchantModels(trx, merchant.id, { calibrationEnd: "1997-09-30", timeUnit: "week" }));
}, 120_000);

describe("fitMerchantModels on the CDNOW sample", () => {
  it("reproduces the published BG/NBD fit", () => {
    const { bgnbd } = cdnowFit;
    expect(bgnbd.r).toBeCloseTo(0.243, 2);
    expect(bgnbd.alpha).toBeCloseTo(4.414, 2);
    expect(bgnbd.a).toBeCloseTo(0.793, 2);
    expect(bgnbd.b).toBeCloseTo(2.426, 2);
    expect(bgnbd.logLikelihood).toBeCloseTo(-9582.43, 1);
    expect(cdnowFit.customers).toEqual({ total: 2357, repeat: 946 });
    expect(cdnowFit.orders).toBe(6919);
  });

  it("reproduces the published Gamma-Gamma fit on the repeat customers", () => {
    const gg = cdnowFit.gammaGamma!;
    expect(gg.customers).toBe(946);
    expect(gg.p).toBeCloseTo(6.25, 2);
    expect(gg.q).toBeCloseTo(3.74, 2);
    expect(gg.gamma).toBeCloseTo(15.44, 2);
    expect(gg.logLikelihood).toBeCloseTo(-4055.92, 1);
  });

  it("predicts the 39-week holdout: 1,882 actual repeat purchases", () => {
    const h = cdnowFit.holdout!;
    expect(h).toMatchObject({ start: "1997-10-01", end: "1998-06-30", length: 39, actual: 1882 });
    // The BG/NBD under-forecasts this holdout by ~12%: with the published MLE on the published summary, the sum of
    // E[Y(39) | x, t_x, T] is 1,653.4 (and the unconditional cohort forecast ΣE[X(T+39)] − E[X(T)] is 1,666.7).
    expect(h.predicted).toBeCloseTo(publishedPrediction(), 0);
    expect(h.predicted).toBeGreaterThan(1882 * 0.85);
    expect(h.predicted).toBeLessThan(1882 * 1.05);
    expect(h.byX.map((g) => g.x)).toEqual(["0", "1", "2", "3", "4", "5", "6", "7+"]);
    expect(h.byX.reduce((n, g) => n + g.customers, 0)).toBe(2357);
    expect(h.byX.reduce((n, g) => n + g.actualMean * g.customers, 0)).toBeCloseTo(1882, 6);
    expect(h.byX.reduce((n, g) => n + g.predictedMean * g.customers, 0)).toBeCloseTo(h.predicted, 6);
    // Conditional expectations rise with past repeat purchases, as in FHL 2005 figure 4.
    for (let i = 1; i < h.byX.length; i++) expect(h.byX[i]!.predictedMean).toBeGreaterThan(h.byX[i - 1]!.predictedMean);
  });

  it("without a calibration end every order is calibration and there is no holdout", async () => {
    const r = await withTenant(testDb(), merchant.id, (trx) => fitMerchantModels(trx, merchant.id, { timeUnit: "day" }));
    expect(r.holdout).toBeNull();
    expect(r.timeUnit).toBe("day");
    expect(r.customers.total).toBe(2357);
    expect(r.bgnbd.logLikelihood).toBeLessThan(0);
  }, 60_000);

  it("refuses a merchant with too few orders", async () => {
    const m = await createMerchant();
    const err = await withTenant(testDb(), m.id, (trx) => fitMerchantModels(trx, m.id, {})).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe("insufficient_data");
    expect((err as DomainError).message).toMatch(/Too few orders.*0 customer/);
  });
});

describe("npm run cli -- cltv fit", () => {
  it("prints the fit and the holdout comparison as JSON", async () => {
    const { stdout } = await cli(["--merchant", merchant.slug, "--calibration-end", "1997-09-30", "--json"]);
    const out = JSON.parse(stdout) as FitResult & { merchant: string };
    expect(out.merchant).toBe(merchant.slug);
    expect(Object.keys(out.bgnbd)).toEqual(expect.arrayContaining(["r", "alpha", "a", "b", "logLikelihood"]));
    expect(Object.keys(out.gammaGamma!)).toEqual(expect.arrayContaining(["p", "q", "gamma", "logLikelihood"]));
    expect(out.bgnbd.r).toBeCloseTo(0.243, 2);
    expect(out.customers).toEqual({ total: 2357, repeat: 946 });
    expect(out.holdout!.actual).toBe(1882);
    expect(out.elapsedMs).toBeGreaterThanOrEqual(0);
  }, 120_000);

  it("prints a readable table", async () => {
    const { stdout } = await cli(["--merchant", merchant.slug, "--calibration-end", "1997-09-30"]);
    expect(stdout).toMatch(/bgnbd: \{r: 0\.24\d+, alpha: 4\.41\d+, a: 0\.79\d+, b: 2\.42\d+, logLikelihood: -9582\.4\d\}/);
    expect(stdout).toMatch(/gammaGamma: \{p: 6\.2\d+/);
    expect(stdout).toContain("customers: 2357 (repeat 946)");
    expect(stdout).toMatch(/repeat purchases actual 1882, predicted 1\d{3}\.\d/);
    expect(stdout).toMatch(/\n {2}7\+ +\d+ +\d+\.\d{3} +\d+\.\d{3}\n/);
    expect(stdout).toMatch(/took \d+\.\d\d s/);
  }, 120_000);

  it("rejects a bad --calibration-end, an unknown merchant and a merchant without orders, without a stack trace", async () => {
    const bad = await cli(["--merchant", merchant.slug, "--calibration-end", "1997-02-30"]).catch((e: { code: number; stderr: string }) => e);
    expect(bad).toMatchObject({ code: 1 });
    expect((bad as { stderr: string }).stderr).toContain("error: --calibration-end must be a date like 2026-06-30 (calibration-end)");
    const missing = await cli(["--merchant", "no-such-merchant"]).catch((e: { code: number; stderr: string }) => e);
    expect(missing).toMatchObject({ code: 1 });
    expect((missing as { stderr: string }).stderr).toContain('No merchant with slug "no-such-merchant"');
    expect((missing as { stderr: string }).stderr).not.toMatch(/\n\s+at /);
    const empty = await createMerchant();
    const none = await cli(["--merchant", empty.slug]).catch((e: { code: number; stderr: string }) => e);
    expect(none).toMatchObject({ code: 1 });
    expect((none as { stderr: string }).stderr).toMatch(/error: Too few orders to fit the models: 0 customer\(s\)/);
    expect((none as { stderr: string }).stderr).not.toMatch(/\n\s+at /);
  }, 120_000);
});
