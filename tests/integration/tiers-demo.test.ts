import { describe, expect, it } from "vitest";
import { hashPassword } from "~/auth/password.server";
import { withTenant } from "~/db.server";
import { seedDemoMerchant } from "~/domain/demo/seed.server";
import { runNightlyTiers } from "~/domain/tiers/jobs.server";
import { getMemberTier } from "~/domain/tiers/tiers.server";
import { testDb } from "../support/db";

const now = new Date("2026-11-22T17:00:00Z");

describe("demo tiers", () => {
  it("gives the demo merchant Bean, Roast and Reserve with members in each, matching what the nightly job decides", { timeout: 120_000 }, async () => {
    const tag = Math.random().toString(36).slice(2, 10);
    const seeded = await seedDemoMerchant(testDb(), {
      slug: `tiers-demo-${tag}`,
      ownerEmail: `owner+${tag}@tiers.test`,
      memberEmail: `member+${tag}@tiers.test`,
      now,
      members: 400,
      hashPassword,
    });
    const m = seeded.merchantId;
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
    const demo = await withTenant(testDb(), m, (trx) => trx.selectFrom("members").select("id").where("email", "=", `member+${tag}@tiers.test`).executeTakeFirstOrThrow());
    expect(await withTenant(testDb(), m, (trx) => getMemberTier(trx, m, demo.id))).not.toBeNull();
    // The seed's set-based evaluation agrees with the per-member one: the nightly run at the same instant changes nobody.
    const r = await runNightlyTiers(now, { merchantIds: [m] });
    expect(r).toMatchObject({ changed: 0, failed: 0 });
  });
});
