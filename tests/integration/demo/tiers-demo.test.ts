import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withTenant } from "~/db.server";
import { runNightlyTiers } from "~/domain/tiers/jobs.server";
import { getMemberTier } from "~/domain/tiers/tiers.server";
import { DEMO_NOW as now, demoDatabase, useDatabase, type DemoDatabase } from "../../support/database-clones";
import { testDb } from "../../support/db";

let copy: DemoDatabase;
let restore: () => Promise<void>;
beforeAll(async () => {
  // A copy of the full demo (seeded once per run, several minutes under load for whoever asks first). The nightly
  // job reads the process-wide pool, so this file points it at the copy.
  copy = await demoDatabase();
  restore = await useDatabase(copy.ownerUrl);
}, 480_000);
afterAll(async () => {
  await restore?.();
  await copy?.close();
});

describe("demo tiers", () => {
  it("gives the demo merchant Bean, Roast and Reserve with members in each, matching what the nightly job decides", { timeout: 120_000 }, async () => {
    const m = copy.seed.merchantId;
    const counts = await withTenant(testDb(), m, (trx) =>
      trx
        .selectFrom("member_tiers as mt")
        .innerJoin("tiers as t", (j) => j.onRef("t.merchant_id", "=", "mt.merchant_id").onRef("t.id", "=", "mt.tier_id"))
        .select(["t.name", (eb) => eb.fn.countAll<string>().as("n")])
        .where("mt.merchant_id", "=", m)
        .groupBy("t.name")
        .execute(),
    );
    const byName = Object.fromEntries(counts.map((c) => [c.name, Number(c.n)]));
    console.log(`[tiers-demo] ${JSON.stringify(byName)}`);
    for (const name of ["Bean", "Roast", "Reserve"]) expect(byName[name], name).toBeGreaterThan(0);
    const demo = await withTenant(testDb(), m, (trx) => trx.selectFrom("members").select("id").where("email", "=", copy.seed.memberEmail).executeTakeFirstOrThrow());
    expect(await withTenant(testDb(), m, (trx) => getMemberTier(trx, m, demo.id))).not.toBeNull();
    // The seed's set-based evaluation agrees with the per-member one: the nightly run at the same instant changes nobody.
    const r = await runNightlyTiers(now, { merchantIds: [m] });
    expect(r).toMatchObject({ changed: 0, failed: 0 });
  });
});
