import { beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { withTenant, type Trx } from "~/db.server";
import { createExperiment } from "~/domain/experiments/assignment.server";
import { aggregateArms, aggregateArmsFromSources, reportEconomics } from "~/domain/incrementality/report.server";
import { newId } from "~/lib/ids";
import { createMerchant, insertMembers } from "../../support/admin";
import { testDb } from "../../support/db";

/**
 * The regression adjustment's covariates kept in experiment_member_facts (2026-12-07T2320): filled when the member is
 * assigned, refreshed when an order or a referral dated before assignment arrives, moves or goes. The report's
 * default window reads them from the facts; a window computed from the source tables recomputes them from the
 * orders: the two must agree to the bit after every kind of write.
 */

const DAY = 86_400_000;
const ASSIGNED = new Date(Date.UTC(2026, 5, 1));
const at = (days: number) => new Date(ASSIGNED.getTime() + days * DAY);

let m: { id: string; slug: string };
let experimentId: string;
let members: string[];

const tx = <T>(fn: (trx: Trx) => Promise<T>) => withTenant(testDb(), m.id, fn);

async function order(trx: Trx, member: string, when: Date, source: "api" | "stripe" = "api"): Promise<string> {
  const id = newId("order");
  await trx
    .insertInto("orders")
    .values({ merchant_id: m.id, id, member_id: member, source, external_order_id: id, amount_minor: 1000, currency: "USD", occurred_at: when })
    .execute();
  return id;
}

async function covariates(member: string) {
  return tx(async (trx) => {
    const r = await sql<{ z_orders: number; z_recency: number; z_tenure: number; z_referred: boolean; z_stripe: boolean }>`
      select z_orders, z_recency, z_tenure, z_referred, z_stripe from experiment_member_facts
      where merchant_id = ${m.id} and experiment_id = ${experimentId} and member_id = ${member}`.execute(trx);
    return r.rows[0]!;
  });
}

/** The default window (facts) against the same sums from the source tables. */
async function expectFactsEqualSources() {
  await tx(async (trx) => {
    const econ = await reportEconomics(trx, m.id);
    const facts = await aggregateArms(trx, m.id, experimentId, { preDays: 365 }, econ);
    const sources = await aggregateArmsFromSources(trx, m.id, experimentId, { preDays: 365 }, econ);
    expect(facts.map((r) => [r.cov_sum, r.cov_cross])).toEqual(sources.map((r) => [r.cov_sum, r.cov_cross]));
    expect(facts).toEqual(sources);
  });
}

beforeAll(async () => {
  m = await createMerchant();
  // Signed up 100 days (3 whole months of 30.4375 days) before assignment.
  members = await insertMembers(m.id, Array.from({ length: 6 }, (_, i) => ({ email: `z${i}@example.com`, created_at: at(-100).toISOString() })));
  await tx(async (trx) => {
    // Member 0: a Stripe order first, then an API one; member 1: one API order; member 2: an order after assignment only.
    await order(trx, members[0]!, at(-40), "stripe");
    await order(trx, members[0]!, at(-10));
    await order(trx, members[1]!, at(-5));
    await order(trx, members[2]!, at(3), "stripe");
    const e = await createExperiment(trx, m.id, { kind: "custom", name: "Covariates", assignment: "external", arms: [{ arm: "t", control: false }, { arm: "c", control: true }] });
    experimentId = e.id;
    await trx
      .insertInto("experiment_assignments")
      .values(members.map((member, i) => ({ merchant_id: m.id, experiment_id: experimentId, member_id: member, arm: i % 2 ? "c" : "t", source: "external" as const, assigned_at: ASSIGNED })))
      .execute();
  });
});

describe("covariates in the facts", () => {
  it("are filled at assignment from what came before it", async () => {
    expect(await covariates(members[0]!)).toEqual({ z_orders: 2, z_recency: 10, z_tenure: 3, z_referred: false, z_stripe: true });
    expect(await covariates(members[1]!)).toEqual({ z_orders: 1, z_recency: 5, z_tenure: 3, z_referred: false, z_stripe: false });
    // Orders after assignment are not covariates.
    expect(await covariates(members[2]!)).toEqual({ z_orders: 0, z_recency: 0, z_tenure: 3, z_referred: false, z_stripe: false });
    await expectFactsEqualSources();
  });

  it("follow an order imported later but dated before assignment, an order moved or deleted, and referrals", async () => {
    const moved = await tx(async (trx) => {
      // An import of old orders after the assignment: a Stripe order before member 1's first.
      await order(trx, members[1]!, at(-60), "stripe");
      // After assignment: changes nothing.
      await order(trx, members[3]!, at(1));
      const id = await order(trx, members[4]!, at(-20));
      await sql`insert into referrals (merchant_id, id, member_id, referrer_id, via, created_at) values (${m.id}, ${newId("referral")}, ${members[5]!}, ${members[0]!}, 'code', ${at(-30)})`.execute(trx);
      return id;
    });
    expect(await covariates(members[1]!)).toEqual({ z_orders: 2, z_recency: 5, z_tenure: 3, z_referred: false, z_stripe: true });
    expect((await covariates(members[3]!)).z_orders).toBe(0);
    expect(await covariates(members[4]!)).toMatchObject({ z_orders: 1, z_recency: 20 });
    expect((await covariates(members[5]!)).z_referred).toBe(true);
    await expectFactsEqualSources();

    await tx(async (trx) => {
      // Moved across the assignment date, then to another member; the referral deleted.
      await sql`update orders set occurred_at = ${at(2)} where merchant_id = ${m.id} and id = ${moved}`.execute(trx);
      await sql`update orders set member_id = ${members[3]!}, occurred_at = ${at(-7)} where merchant_id = ${m.id} and id = ${moved}`.execute(trx);
      await sql`delete from referrals where merchant_id = ${m.id} and member_id = ${members[5]!}`.execute(trx);
    });
    expect((await covariates(members[4]!)).z_orders).toBe(0);
    expect(await covariates(members[3]!)).toMatchObject({ z_orders: 1, z_recency: 7 });
    expect((await covariates(members[5]!)).z_referred).toBe(false);
    await expectFactsEqualSources();

    await tx(async (trx) => {
      await sql`delete from orders where merchant_id = ${m.id} and id = ${moved}`.execute(trx);
    });
    // Only the covariates: the facts' other sums do not follow a deleted order (the app never deletes one; the facts'
    // order triggers are on insert and update only).
    expect((await covariates(members[3]!)).z_orders).toBe(0);
  });

  it("a rebuild's set-based fill computes what the triggers kept", async () => {
    const read = (trx: Trx) =>
      sql`select member_id, z_orders, z_recency, z_tenure, z_referred, z_stripe from experiment_member_facts where merchant_id = ${m.id} order by member_id`.execute(trx);
    const kept = await tx(read);
    let filled: unknown = null;
    await expect(
      tx(async (trx) => {
        await sql`update experiment_member_facts set z_orders = 0, z_recency = 0, z_tenure = 0, z_referred = false, z_stripe = false where merchant_id = ${m.id}`.execute(trx);
        await sql`select experiment_member_facts_fill_covariates(${m.id})`.execute(trx);
        filled = (await read(trx)).rows;
        throw new Error("rollback");
      }),
    ).rejects.toThrow("rollback");
    expect(filled).toEqual(kept.rows);
    expect(kept.rows.some((r) => (r as { z_orders: number }).z_orders > 0)).toBe(true);
  });
});
