import { describe, expect, it } from "vitest";
import { sql } from "kysely";
import { withTenant } from "~/db.server";
import { createExperiment, getAssignment } from "~/domain/experiments/assignment.server";
import { enrollMember } from "~/domain/flows/enrolment.server";
import { awardSignupBonus, earnForEvent } from "~/domain/flows/earning.server";
import { earnRecordedOrder } from "~/domain/flows/purchase.server";
import { DEFAULT_EARNING_RULES, EarningRulesSchema } from "~/domain/points/rules";
import { newId } from "~/lib/ids";
import * as home from "~/routes/p.$merchant._index";
import * as points from "~/routes/p.$merchant.points";
import { testDb } from "../../support/db";
import { cookiePair, get, newMerchant, PASSWORD, post, run, uniq } from "../../support/auth";
import * as signup from "~/routes/p.$merchant.signup";

/**
 * The loyalty program's holdout is enforced where members meet the program: an arm is drawn at enrollment, and
 * held-out members earn nothing (orders, events, bonuses) and are told the program is not available to them.
 */

const actor = { type: "system" as const, id: "test" };

async function shopWithHoldout(holdoutBps: number) {
  const { merchant } = await newMerchant();
  const rules = EarningRulesSchema.parse({
    ...DEFAULT_EARNING_RULES,
    bonuses: { signup: 100, firstOrder: 0, birthday: 0, profileCompleted: 0 },
    customEvents: [{ key: "review_posted", label: "a review", points: 25 }],
  });
  await withTenant(testDb(), merchant.id, async (trx) => {
    await trx.insertInto("earning_rules").values({ merchant_id: merchant.id, rules: JSON.stringify(rules) }).execute();
    await createExperiment(trx, merchant.id, { kind: "loyalty_program", name: "Loyalty program holdout", holdoutBps });
  });
  return merchant;
}

async function order(merchantId: string, memberId: string, amountMinor: number) {
  const id = newId("order");
  return withTenant(testDb(), merchantId, (trx) =>
    trx
      .insertInto("orders")
      .values({ merchant_id: merchantId, id, member_id: memberId, source: "api", external_order_id: id, amount_minor: amountMinor, currency: "EUR", occurred_at: new Date() })
      .returningAll()
      .executeTakeFirstOrThrow(),
  );
}

describe("loyalty program holdout", () => {
  it("assigns every new member at enrollment and gives held-out members no points from any earning path", async () => {
    const shop = await shopWithHoldout(5000);
    const created = await withTenant(testDb(), shop.id, async (trx) => {
      const out: string[] = [];
      for (let i = 0; i < 40; i++) out.push((await enrollMember(trx, shop, { email: `${uniq("m")}@example.com` }, { channel: "api_members", actor })).member.id);
      return out;
    });
    const arms = await withTenant(testDb(), shop.id, async (trx) => {
      const e = await trx.selectFrom("experiments").select("id").where("merchant_id", "=", shop.id).where("kind", "=", "loyalty_program").executeTakeFirstOrThrow();
      return Promise.all(created.map((m) => getAssignment(trx, shop.id, e.id, m)));
    });
    expect(arms.every((a) => a !== null)).toBe(true);
    const held = created.filter((_, i) => arms[i]!.control);
    const treated = created.filter((_, i) => !arms[i]!.control);
    // 40 draws at 50%: both arms are non-empty except with probability 2·2⁻⁴⁰.
    expect(held.length).toBeGreaterThan(0);
    expect(treated.length).toBeGreaterThan(0);

    for (const [memberId, expectPoints] of [[held[0]!, false], [treated[0]!, true]] as const) {
      const row = await order(shop.id, memberId, 5000);
      const r = await withTenant(testDb(), shop.id, async (trx) => ({
        signup: await awardSignupBonus(trx, shop.id, memberId, actor),
        order: { points: await earnRecordedOrder(trx, shop.id, row, actor) },
        event: await earnForEvent(trx, shop.id, { memberId, event: "review_posted", idempotencyKey: `rev-${memberId}`, actor }),
      }));
      const journals = await withTenant(testDb(), shop.id, (trx) =>
        trx.selectFrom("ledger_journals").select(sql<string>`count(*)`.as("n")).where("merchant_id", "=", shop.id).where("member_id", "=", memberId).executeTakeFirstOrThrow(),
      );
      if (expectPoints) {
        expect(r.signup.points).toBe(100);
        expect(r.order.points).toBeGreaterThan(0);
        expect(r.event.points).toBe(25);
        expect(Number(journals.n)).toBe(3);
      } else {
        expect([r.signup.points, r.order.points, r.event.points]).toEqual([0, 0, 0]);
        expect(Number(journals.n)).toBe(0);
      }
    }
  });

  it("a held-out member who signs up in the portal gets no welcome bonus and is told the program is not available", async () => {
    // 50% is the largest holdout allowed; sign up until one member lands in each arm.
    const shop = await shopWithHoldout(5000);
    const seen = { held: false, treated: false };
    for (let i = 0; i < 30 && !(seen.held && seen.treated); i++) {
      const email = `${uniq("p")}@example.com`;
      const out = await run(() => signup.action({ request: post(`/p/${shop.slug}/signup`, { name: "Pat", email, password: PASSWORD }), params: { merchant: shop.slug }, context: {} }));
      expect(out.status).toBe(302);
      const cookie = cookiePair(out.setCookie);
      const page = await run(() => home.loader({ request: get(`/p/${shop.slug}`, cookie), params: { merchant: shop.slug }, context: {} }));
      const pts = await run(() => points.loader({ request: get(`/p/${shop.slug}/points`, cookie), params: { merchant: shop.slug }, context: {} }));
      expect(pts.data.heldOut).toBe(page.data.heldOut);
      if (page.data.heldOut) {
        seen.held = true;
        expect(page.data.points.balance.available).toBe(0);
      } else {
        seen.treated = true;
        expect(page.data.points.balance.available + page.data.points.balance.pending).toBe(100);
      }
    }
    expect(seen).toEqual({ held: true, treated: true });
  });

  it("without a loyalty experiment nobody is held out", async () => {
    const { merchant } = await newMerchant();
    const m = await withTenant(testDb(), merchant.id, (trx) => enrollMember(trx, merchant, { email: `${uniq("n")}@example.com` }, { channel: "api_members", actor }));
    const n = await withTenant(testDb(), merchant.id, (trx) =>
      trx.selectFrom("experiment_assignments").select(sql<string>`count(*)`.as("n")).where("merchant_id", "=", merchant.id).where("member_id", "=", m.member.id).executeTakeFirstOrThrow(),
    );
    expect(Number(n.n)).toBe(0);
  });
});
