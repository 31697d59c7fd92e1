import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { withTenant } from "~/db.server";
import type { PurchaseChannel } from "~/domain/events/seam.server";
import { attributeMember } from "~/domain/flows/referral-rewards.server";
import { PURCHASE_POLICY, recordPurchase, recordRefund, setOrderDisputeStatus } from "~/domain/flows/purchase.server";
import { createImport, runOrderImport } from "~/domain/imports/import.server";
import { adjustPoints } from "~/domain/points/ledger.server";
import type { EarningRules } from "~/domain/points/rules";
import { getOrCreateCode } from "~/domain/referrals/codes.server";
import { saveReferralSettings } from "~/domain/referrals/program.server";
import { DEFAULT_REFERRAL_SETTINGS } from "~/domain/referrals/settings";
import { ingestStripeEvent } from "~/domain/stripe/events.server";
import { saveTierProgram } from "~/domain/tiers/definitions.server";
import { runTierReevaluation } from "~/domain/tiers/jobs.server";
import { getMemberTier } from "~/domain/tiers/tiers.server";
import { resetClock } from "~/lib/clock.server";
import { newId } from "~/lib/ids";
import { api, createKey, dispatch, snapshotCounts } from "../../support/api";
import { ORIGIN } from "../../support/auth";
import { testDb } from "../../support/db";
import { statementsSent } from "../../support/sql-sent";
import { checkoutSession, connectedMerchant, purchaseScenario, signatureHeader, stripeEvent, stripeFootprint } from "../../support/fake-stripe";
import { ledgerFixture, SYSTEM, type LedgerFixture } from "../../support/ledger";

/**
 * "A purchase" (app/domain/flows/purchase.server.ts) through its channels, checked against PURCHASE_POLICY; what the
 * POST /api/v1/orders answer reports against what was stored; the statements one purchase costs; and the event seam
 * inside the purchase's own transaction (tiers, referrals).
 */

// The Stripe credentials of connectedMerchant are stored encrypted.
process.env.ENCRYPTION_KEY ??= "5e".repeat(32);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "perennial-purchase-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
afterEach(() => resetClock());

const NO_BONUSES = { bonuses: { signup: 0, firstOrder: 0, birthday: 0, profileCompleted: 0 } };
const uuid = () => crypto.randomUUID();
const hourAgo = () => new Date(Date.now() - 3_600_000);

interface Shop extends LedgerFixture {
  token: string;
}

/** A USD merchant (ledgerFixture: no pending period, no expiry) with an API key for orders and points. */
async function shop(rules: Partial<EarningRules> = {}): Promise<Shop> {
  const f = await ledgerFixture({ ...NO_BONUSES, ...rules });
  const { token } = await createKey(f.merchantId, ["orders:write", "points:read", "points:write", "members:read", "members:write"]);
  return { ...f, token };
}

const postOrder = (s: Shop, body: Record<string, unknown>, key = uuid()) => api("POST", "/api/v1/orders", { token: s.token, idempotencyKey: key, body });

function orderBody(over: Record<string, unknown> = {}) {
  return { order_id: `o-${uuid()}`, amount_minor: 4250, currency: "USD", occurred_at: hourAgo().toISOString(), ...over };
}

/** Writes a CSV into the temp dir and imports it (points on, like an admin ticking "award points"). */
async function importCsv(merchantId: string, lines: string[]) {
  const file = path.join(tmp, `${uuid()}.csv`);
  fs.writeFileSync(file, `${lines.join("\n")}\n`);
  const importId = await withTenant(testDb(), merchantId, (trx) =>
    createImport(trx, merchantId, { filename: "history.csv", awardPoints: true, totalBytes: fs.statSync(file).size, createdBy: null }),
  );
  return runOrderImport({ merchantId, importId, filePath: file, awardPoints: true, actor: SYSTEM });
}

const ordersOf = (f: LedgerFixture) =>
  f.tx((trx) => trx.selectFrom("orders").select(["external_order_id", "source", "member_id"]).where("merchant_id", "=", f.merchantId).orderBy("external_order_id").execute());

// ---- 1. PURCHASE_POLICY, row by row ----------------------------------------------------------------------------

/** What one channel did with an order in another currency, and whether anything of it was written. */
interface ForeignOutcome {
  outcome: "refused" | "ignored";
  ordersWritten: number;
  membersCreated: number;
  balanceChanged: boolean;
}

/** Each channel's entry point, called the way its client calls it, with a payment in a currency the merchant does not record. */
const FOREIGN: Record<PurchaseChannel, () => Promise<ForeignOutcome>> = {
  async api() {
    const s = await shop();
    const member = await s.newMember();
    await s.tx((trx) => adjustPoints(trx, s.merchantId, { memberId: member, points: 70, reason: "opening balance", idempotencyKey: uuid(), actor: SYSTEM }));
    const before = await snapshotCounts(s.merchantId);
    const balance = await s.balance(member);
    const byId = await postOrder(s, orderBody({ member: { id: member }, currency: "EUR" }));
    expect(byId.status, byId.text).toBe(422);
    expect(byId.json.error).toMatchObject({ code: "currency_mismatch", field: "currency" });
    // A buyer named by e-mail would be enrolled first: the refusal rolls that back too.
    const byEmail = await postOrder(s, orderBody({ member: { email: `${uuid()}@example.com` }, currency: "EUR" }));
    expect(byEmail.status, byEmail.text).toBe(422);
    expect(byEmail.json.error).toMatchObject({ code: "currency_mismatch", field: "currency" });
    const after = await snapshotCounts(s.merchantId);
    expect(after).toEqual(before);
    return { outcome: "refused", ordersWritten: after.orders - before.orders, membersCreated: after.members - before.members, balanceChanged: JSON.stringify(await s.balance(member)) !== JSON.stringify(balance) };
  },

  async stripe() {
    // Delivered to the webhook route (signed like Stripe), so "acknowledged" is the answer Stripe gets.
    const m = await connectedMerchant({ currency: "EUR" });
    const before = await stripeFootprint(m.id);
    const event = purchaseScenario({ email: `${uuid()}@example.com`, amount: 1_000, currency: "usd" }).purchased();
    const payload = JSON.stringify(event);
    const res = await dispatch(
      new Request(`${ORIGIN}/webhooks/stripe/${m.id}`, { method: "POST", headers: { "Content-Type": "application/json", "Stripe-Signature": signatureHeader(payload, m.secret) }, body: payload }),
    );
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ received: true, outcome: "ignored: currency USD (this merchant records EUR only)" });
    const stored = await withTenant(testDb(), m.id, (trx) => trx.selectFrom("stripe_events").select("outcome").where("merchant_id", "=", m.id).execute());
    expect(stored).toEqual([{ outcome: "ignored: currency USD (this merchant records EUR only)" }]);
    const after = await stripeFootprint(m.id);
    const delta = (k: string) => (after[k] ?? 0) - (before[k] ?? 0);
    expect(delta("events")).toBe(1);
    return { outcome: "ignored", ordersWritten: delta("orders"), membersCreated: delta("members"), balanceChanged: delta("journals") !== 0 };
  },

  async import() {
    const s = await shop();
    const before = await snapshotCounts(s.merchantId);
    const foreignBuyer = `eur-buyer-${uuid().slice(0, 8)}@example.com`;
    const summary = await importCsv(s.merchantId, [
      "order_id,email,date,amount,currency",
      `USD-1,usd-buyer-${uuid().slice(0, 8)}@example.com,2024-03-01,10.00,USD`,
      `EUR-1,${foreignBuyer},2024-03-02,10.00,EUR`,
      `USD-2,usd-buyer2-${uuid().slice(0, 8)}@example.com,2024-03-03,12.00,USD`,
    ]);
    // The line is reported and the rest imports.
    expect(summary).toMatchObject({ status: "done", rowsOk: 2, rowsFailed: 1, errorCount: 1 });
    expect(summary.errors).toEqual([{ line: 3, column: "currency", reason: "currency EUR does not match the merchant currency USD" }]);
    expect((await ordersOf(s)).map((o) => o.external_order_id)).toEqual(["USD-1", "USD-2"]);
    const after = await snapshotCounts(s.merchantId);
    // Only the two good lines left anything: their buyers, orders and points.
    expect(after).toMatchObject({ members: before.members + 2, orders: before.orders + 2, point_lots: before.point_lots + 2 });
    const foreign = await s.tx(async (trx) => ({
      orders: await trx.selectFrom("orders").select("id").where("merchant_id", "=", s.merchantId).where("external_order_id", "=", "EUR-1").execute(),
      members: await trx.selectFrom("members").select("id").where("merchant_id", "=", s.merchantId).where("email", "=", foreignBuyer).execute(),
    }));
    return { outcome: summary.errors.length > 0 ? "refused" : "ignored", ordersWritten: foreign.orders.length, membersCreated: foreign.members.length, balanceChanged: false };
  },
};

/** Each channel with a pending referral of the buyer (first order qualifies): whether its order qualified it. */
const QUALIFIES: Record<PurchaseChannel, (r: ReferralShop, friend: { id: string; email: string }) => Promise<void>> = {
  async api(r, friend) {
    const res = await postOrder(r, orderBody({ member: { id: friend.id }, occurred_at: new Date().toISOString() }));
    expect(res.status, res.text).toBe(201);
  },
  async stripe(r, friend) {
    const session = checkoutSession({ email: friend.email, amount: 4_000, currency: "usd" });
    const out = await ingestStripeEvent(testDb(), r.merchantId, stripeEvent("checkout.session.completed", session), "webhook");
    expect(out.outcome).toMatch(/^order ord_\w+ recorded/);
  },
  async import(r, friend) {
    // Dated after the referral was made, so nothing but the channel's policy keeps it from qualifying.
    const summary = await importCsv(r.merchantId, ["order_id,email,date,amount,currency", `IMP-${uuid().slice(0, 8)},${friend.email},${new Date().toISOString()},40.00,USD`]);
    expect(summary).toMatchObject({ status: "done", rowsOk: 1, rowsFailed: 0, pointsAwarded: 40 });
    // Pinned, not read from the table: "an imported order is history, usually older than the referral program or the
    // member's referral; paying a referral for a purchase the referral did not cause would be a windfall, so imports
    // never qualify referrals" (PURCHASE_POLICY's reason). The order earned its points and is still not a qualifier.
    expect(await r.referral(friend.id)).toEqual({ status: "pending", qualifying_order_id: null });
  },
};

interface ReferralShop extends Shop {
  referrer: string;
  friend(): Promise<{ id: string; email: string }>;
  referral(friendId: string): Promise<{ status: string; qualifying_order_id: string | null }>;
}

/** A referral program whose qualifying event is the friend's first order, 14 days' hold. */
async function referralShop(): Promise<ReferralShop> {
  const s = await shop();
  await s.tx((trx) => saveReferralSettings(trx, s.merchantId, { ...DEFAULT_REFERRAL_SETTINGS, enabled: true, holdDays: 14, qualifyingEvent: { kind: "first_order" } }, SYSTEM));
  const referrer = await s.newMember();
  const code = await s.tx(async (trx) => (await getOrCreateCode(trx, s.merchantId, referrer)).code);
  return {
    ...s,
    referrer,
    async friend() {
      const id = newId("member");
      const email = `friend-${uuid().slice(0, 8)}@example.com`;
      await s.tx((trx) => trx.insertInto("members").values({ merchant_id: s.merchantId, id, email, name: "Fran Friend" }).execute());
      const attributed = await s.tx((trx) => attributeMember(trx, s.merchantId, { memberId: id, code, via: "api", actor: SYSTEM }));
      expect(attributed).toBeTruthy();
      return { id, email };
    },
    referral: (friendId) =>
      s.tx((trx) => trx.selectFrom("referrals").select(["status", "qualifying_order_id"]).where("merchant_id", "=", s.merchantId).where("member_id", "=", friendId).executeTakeFirstOrThrow()),
  };
}

describe("PURCHASE_POLICY", () => {
  it("lists the channels tested here, no more and no fewer", () => {
    expect(Object.keys(PURCHASE_POLICY).sort()).toEqual(Object.keys(FOREIGN).sort());
    expect(Object.keys(PURCHASE_POLICY).sort()).toEqual(Object.keys(QUALIFIES).sort());
  });

  it.each(Object.keys(FOREIGN) as PurchaseChannel[])("%s: an order in another currency is what foreignCurrency says, and writes nothing", async (channel) => {
    const got = await FOREIGN[channel]();
    expect(got).toEqual({ outcome: PURCHASE_POLICY[channel].foreignCurrency === "refuse" ? "refused" : "ignored", ordersWritten: 0, membersCreated: 0, balanceChanged: false });
  });

  it.each(Object.keys(QUALIFIES) as PurchaseChannel[])("%s: an order of a friend with a pending referral qualifies it as qualifiesReferral says", async (channel) => {
    const r = await referralShop();
    const friend = await r.friend();
    expect((await r.referral(friend.id)).status).toBe("pending");
    await QUALIFIES[channel](r, friend);
    const orders = (await ordersOf(r)).filter((o) => o.member_id === friend.id);
    expect(orders).toHaveLength(1);
    const referral = await r.referral(friend.id);
    if (PURCHASE_POLICY[channel].qualifiesReferral) expect(referral.status).toBe("qualified");
    else expect(referral).toEqual({ status: "pending", qualifying_order_id: null });
  });

  it("an imported order never becomes the qualifying order later either: the friend's next live order is the one", async () => {
    const r = await referralShop();
    const friend = await r.friend();
    await QUALIFIES.import(r, friend);
    await QUALIFIES.api(r, friend);
    const live = await r.tx((trx) =>
      trx.selectFrom("orders").select("id").where("merchant_id", "=", r.merchantId).where("member_id", "=", friend.id).where("source", "=", "api").executeTakeFirstOrThrow(),
    );
    // Before the fix the evaluation took the friend's earliest order, the imported one, so a refund of the live order
    // could not void the referral and a large imported order could meet a "first order above" threshold.
    expect(await r.referral(friend.id)).toEqual({ status: "qualified", qualifying_order_id: live.id });
  });
});

// ---- 2. the POST /api/v1/orders answer is what was stored ---------------------------------------------------------

/** The answer's order and points fields as the database has them (the order row and its lot, if any). */
async function storedAnswer(s: Shop, orderId: string) {
  return s.tx(async (trx) => {
    const o = await trx.selectFrom("orders").selectAll().where("merchant_id", "=", s.merchantId).where("id", "=", orderId).executeTakeFirstOrThrow();
    const lots = await trx.selectFrom("point_lots").select(["points", "pending_until", "released_at"]).where("merchant_id", "=", s.merchantId).where("order_id", "=", orderId).execute();
    expect(lots.length).toBeLessThanOrEqual(1);
    const lot = lots[0];
    return {
      id: o.id,
      order_id: o.external_order_id,
      member_id: o.member_id,
      amount_minor: o.amount_minor,
      currency: o.currency,
      occurred_at: o.occurred_at.toISOString(),
      refunded_minor: o.refunded_minor,
      points_earned: lot?.points ?? 0,
      points_status: lot ? (lot.released_at ? "available" : "pending") : "none",
      pending_until: lot && !lot.released_at ? (lot.pending_until?.toISOString() ?? null) : null,
    };
  });
}

describe("POST /api/v1/orders answers what it stored", () => {
  it("available points (no pending period)", async () => {
    const s = await shop({ pendingDays: 0 });
    const r = await postOrder(s, orderBody({ member: { id: await s.newMember() } }));
    expect(r.status, r.text).toBe(201);
    expect(r.json).toMatchObject({ points_earned: 42, points_status: "available", pending_until: null });
    expect(r.json).toEqual(await storedAnswer(s, r.json.id));
  });

  it("a pending period: pending until the order's date plus the pending days; a replay answers 200 with the same body", async () => {
    const s = await shop({ pendingDays: 14 });
    const member = await s.newMember();
    const body = orderBody({ member: { id: member } });
    const r = await postOrder(s, body);
    expect(r.status, r.text).toBe(201);
    expect(r.json).toMatchObject({ points_earned: 42, points_status: "pending", pending_until: new Date(new Date(body.occurred_at).getTime() + 14 * 86_400_000).toISOString() });
    expect(r.json).toEqual(await storedAnswer(s, r.json.id));
    expect(await s.balance(member)).toMatchObject({ available: 0, pending: 42 });

    // The same order again under a new idempotency key: the flow's replay, not the idempotency layer's.
    const counts = await snapshotCounts(s.merchantId);
    const again = await postOrder(s, body);
    expect(again.status, again.text).toBe(200);
    expect(again.json).toEqual(r.json);
    expect({ ...(await snapshotCounts(s.merchantId)), idempotency_keys: counts.idempotency_keys }).toEqual(counts);
  });

  it("a replay of an available order answers 200 with the same body", async () => {
    const s = await shop({ pendingDays: 0 });
    const body = orderBody({ member: { id: await s.newMember() } });
    const first = await postOrder(s, body);
    expect(first.status, first.text).toBe(201);
    const again = await postOrder(s, body);
    expect(again.status, again.text).toBe(200);
    expect(again.json).toEqual(first.json);
  });

  it("the same Idempotency-Key again replays the stored answer byte for byte (the first one is not read back)", async () => {
    const s = await shop({ pendingDays: 0 });
    const body = orderBody({ member: { id: await s.newMember() } });
    const key = uuid();
    const first = await postOrder(s, body, key);
    expect(first.status, first.text).toBe(201);
    const again = await postOrder(s, body, key);
    expect(again.status).toBe(201);
    expect(again.text).toBe(first.text);
  });

  it("an order below the minimum earns nothing: 0 points, status none, no lot", async () => {
    const s = await shop({ earning: { pointsPerUnit: 1, rounding: "floor", minimumOrderMinor: 5_000 } });
    const member = await s.newMember();
    const r = await postOrder(s, orderBody({ member: { id: member }, amount_minor: 4_999 }));
    expect(r.status, r.text).toBe(201);
    expect(r.json).toMatchObject({ amount_minor: 4_999, points_earned: 0, points_status: "none", pending_until: null });
    expect(r.json).toEqual(await storedAnswer(s, r.json.id));
    expect(await snapshotCounts(s.merchantId)).toMatchObject({ orders: 1, ledger_journals: 0, point_lots: 0 });
  });
});

// ---- 3. what one purchase costs ------------------------------------------------------------------------------------


describe("recordPurchase's statements", () => {
  it("an existing member with a balance, a merchant without tiers, caps, offers or referrals: 3 round trips, begin and commit included", async () => {
    const s = await shop({ pendingDays: 0 });
    const member = await s.newMember();
    await s.tx((trx) => adjustPoints(trx, s.merchantId, { memberId: member, points: 5, reason: "balance row", idempotencyKey: uuid(), actor: SYSTEM }));
    const input = { memberId: member, externalOrderId: `o-${uuid()}`, amountMinor: 4_250, currency: "USD", occurredAt: hourAgo() };
    // The whole transaction: withTenant's begin goes with the balance lock, the posting with the commit.
    const [result, sqls] = await statementsSent(() => s.tx((trx) => recordPurchase(trx, s.merchantId, input, { channel: "api", actor: SYSTEM })));
    expect(result).toMatchObject({ outcome: "recorded", points: 42 });
    /*
     * Measured (2026-12, issue 14), 3 round trips:
     *  1. begin; set local app.merchant_id = '…'; with s as (select * from "member_balances" where … for update) …
     *     — the member's balance lock, sent with the begin (withBegin)
     *  2. with o as (insert into "orders" … on conflict do nothing returning "id") select m.currency, m.timezone, r.rules,
     *     mem.status, exists(…earlier order…), exists(select 1 from o) as order_inserted, the programs' columns
     *     (offers_percent, tiers_percent, tiers_relevant, referrals_open) … left join lateral (holdout) …  — order + context
     *  3. with j as (insert into ledger_journals …), e as (…entries), l as (…lot), b as (update member_balances …)
     *     select 1; commit   — the posting, sent with the commit (writeBehind)
     * Tiers and referrals read tiers_relevant / referrals_open from the context row and issue nothing.
     */
    const count = (re: RegExp) => sqls.filter((q) => re.test(q)).length;
    expect(count(/from "member_balances"[\s\S]*for update/i), sqls.join("\n---\n")).toBe(1);
    expect(count(/insert into "orders"/i)).toBe(1);
    expect(count(/^select[\s\S]*from "orders"/i)).toBe(0);
    expect(count(/\bfrom "?point_lots"?/i)).toBe(0);
    expect(sqls.at(-1)).toMatch(/^with j as \(insert into ledger_journals[\s\S]*;\ncommit$/);
    expect(sqls[0]).toMatch(/^begin; set local app\.merchant_id = [\s\S]*for update/);
    expect(sqls.length, sqls.join("\n---\n")).toBe(3);
    // The order returned is the row stored, though nothing was read back.
    const stored = await s.tx((trx) => trx.selectFrom("orders").selectAll().where("merchant_id", "=", s.merchantId).where("id", "=", result.order.id).executeTakeFirstOrThrow());
    expect(result.order).toEqual(stored);
  });
});

// ---- 4. the event seam, inside the purchase's transaction -----------------------------------------------------------

async function tierShop() {
  const s = await shop({ pendingDays: 0 });
  const saved = await s.tx((trx) =>
    saveTierProgram(
      trx,
      s.merchantId,
      {
        settings: { basis: "spend", window: "calendar_year", graceDays: 0, downgrade: "one_step" },
        tiers: [{ id: null, name: "Bean", threshold: 10_000, earningPercent: 100, exclusiveAccess: false, birthdayBonus: 0, perks: "" }],
      },
      SYSTEM,
      new Date(),
    ),
  );
  await runTierReevaluation(s.merchantId, saved.jobId!);
  return s;
}

const purchase = (memberId: string, amountMinor: number) => ({ memberId, externalOrderId: `o-${uuid()}`, amountMinor, currency: "USD", occurredAt: new Date() });

class Rollback extends Error {}

describe("the event seam in the purchase's transaction", () => {
  // tests/integration/programs/tiers.test.ts "upgrades at exactly the threshold … the moment the order is recorded"
  // covers the thresholds after commit; this is the same-transaction half: the upgrade is there before the commit,
  // and commits with the order or not at all.
  it("orderRecorded: an order crossing a threshold upgrades the member in the same transaction, or neither commits", async () => {
    const s = await tierShop();
    const member = await s.newMember();
    await s.tx((trx) => recordPurchase(trx, s.merchantId, purchase(member, 6_000), { channel: "api", actor: SYSTEM }));
    const rolledBack = s.tx(async (trx) => {
      await recordPurchase(trx, s.merchantId, purchase(member, 4_000), { channel: "api", actor: SYSTEM });
      expect((await getMemberTier(trx, s.merchantId, member))?.name).toBe("Bean");
      throw new Rollback();
    });
    await expect(rolledBack).rejects.toBeInstanceOf(Rollback);
    expect(await s.tx((trx) => getMemberTier(trx, s.merchantId, member))).toBeNull();
    expect(await snapshotCounts(s.merchantId)).toMatchObject({ orders: 1 });
    await s.tx(async (trx) => {
      await recordPurchase(trx, s.merchantId, purchase(member, 4_000), { channel: "api", actor: SYSTEM });
      expect((await getMemberTier(trx, s.merchantId, member))?.name).toBe("Bean");
    });
    expect((await s.tx((trx) => getMemberTier(trx, s.merchantId, member)))?.name).toBe("Bean");
  });

  it("orderDisputeChanged: a reinstated payment counts toward the tier again at once", async () => {
    const s = await tierShop();
    const member = await s.newMember();
    const first = await s.tx((trx) => recordPurchase(trx, s.merchantId, purchase(member, 6_000), { channel: "api", actor: SYSTEM }));
    await s.tx((trx) => setOrderDisputeStatus(trx, s.merchantId, { orderId: first.order.id, status: "withdrawn", causeKey: "dp_1:withdrawn", actor: SYSTEM }));
    // 4,000 counted (the withdrawn 6,000 does not): below the 10,000 threshold.
    await s.tx((trx) => recordPurchase(trx, s.merchantId, purchase(member, 4_000), { channel: "api", actor: SYSTEM }));
    expect(await s.tx((trx) => getMemberTier(trx, s.merchantId, member))).toBeNull();
    await s.tx(async (trx) => {
      await setOrderDisputeStatus(trx, s.merchantId, { orderId: first.order.id, status: "reinstated", causeKey: "dp_1:reinstated", actor: SYSTEM });
      expect((await getMemberTier(trx, s.merchantId, member))?.name).toBe("Bean");
    });
    expect((await s.tx((trx) => getMemberTier(trx, s.merchantId, member)))?.name).toBe("Bean");
  });

  // tests/integration/programs/referrals.test.ts "R4: a refund inside the hold period voids the referral …" covers the
  // void, its reversals and the after-hold case; this only adds that it happens inside the refund's transaction.
  it("orderRefunded: a refund of the qualifying order inside the hold period voids the referral in the refund's transaction", async () => {
    const r = await referralShop();
    const friend = await r.friend();
    const recorded = await r.tx((trx) => recordPurchase(trx, r.merchantId, purchase(friend.id, 3_000), { channel: "api", actor: SYSTEM }));
    expect(await r.referral(friend.id)).toEqual({ status: "qualified", qualifying_order_id: recorded.order.id });
    const refund = () => ({ orderId: recorded.order.id, externalRefundId: "rf-1", amountMinor: 1_000, actor: SYSTEM });
    const rolledBack = r.tx(async (trx) => {
      await recordRefund(trx, r.merchantId, refund());
      const inside = await trx.selectFrom("referrals").select("status").where("merchant_id", "=", r.merchantId).where("member_id", "=", friend.id).executeTakeFirstOrThrow();
      expect(inside.status).toBe("void");
      throw new Rollback();
    });
    await expect(rolledBack).rejects.toBeInstanceOf(Rollback);
    expect((await r.referral(friend.id)).status).toBe("qualified");
    await r.tx((trx) => recordRefund(trx, r.merchantId, refund()));
    expect((await r.referral(friend.id)).status).toBe("void");
  });
});
