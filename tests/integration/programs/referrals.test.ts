import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { advanceClock, resetClock } from "~/lib/clock.server";
import { withTenant, type Trx } from "~/db.server";
import { recordPurchase, recordRefund, setOrderRefundedTotal } from "~/domain/flows/purchase.server";
import { attributeAtSignup, attributeMember, correctReferrer, decideReferralReview as decideReview, releaseReferral, runReferralRelease } from "~/domain/flows/referral-rewards.server";
import { recordClick } from "~/domain/referrals/attribution.server";
import { getOrCreateCode } from "~/domain/referrals/codes.server";
import { listReviews, openReview } from "~/domain/referrals/fraud.server";
import { saveReferralSettings } from "~/domain/referrals/program.server";
import { DEFAULT_REFERRAL_SETTINGS, type ReferralSettings } from "~/domain/referrals/settings";
import { ancestors, networkValue, subtreePage } from "~/domain/referrals/tree.server";
import { sendInvite } from "~/domain/referrals/invites.server";
import { runAncestorDigest } from "~/domain/referrals/jobs.server";
import { createExperiment } from "~/domain/experiments/assignment.server";
import { createReward } from "~/domain/rewards/catalog.server";
import { DomainError } from "~/lib/errors";
import { newId } from "~/lib/ids";
import { ledgerFixture, SYSTEM, type LedgerFixture } from "../../support/ledger";
import { checkoutSession, stripeEvent } from "../../support/fake-stripe";
import { ingestStripeEvent } from "~/domain/stripe/events.server";
import { testDb } from "../../support/db";

/**
 * Referral program (issue 5) against real PostgreSQL: reliability.md R1–R4, the network value example, 50 parallel
 * qualifying events, refunds inside/after the hold period, caps, staff corrections and tenancy.
 */

const DAY = 86_400_000;
const STAFF = { type: "staff" as const, id: "stf_test" };

interface Fx extends LedgerFixture {
  member(email?: string, name?: string): Promise<string>;
  code(memberId: string): Promise<string>;
  refer(friendId: string, referrerId: string, facts?: { deviceId?: string; ip?: string; userAgent?: string }): Promise<Awaited<ReturnType<typeof attributeMember>>>;
  order(memberId: string, amountMinor: number, extra?: { cardFingerprint?: string; at?: Date }): Promise<string>;
  referral(friendId: string): Promise<{ id: string; status: string; reasons: string[]; hold_until: Date | null }>;
  payouts(referralId?: string): Promise<Array<{ beneficiary_id: string; role: string; level: number; points: number | null; status: string }>>;
  emails(template: string): Promise<Array<{ to_address: string; subject: string }>>;
}

let seq = 0;
async function fx(settings: Partial<ReferralSettings> = {}): Promise<Fx> {
  const f = await ledgerFixture({ bonuses: { signup: 0, firstOrder: 0, birthday: 0, profileCompleted: 0 } });
  await f.tx((trx) =>
    saveReferralSettings(trx, f.merchantId, { ...DEFAULT_REFERRAL_SETTINGS, enabled: true, holdDays: 14, ...settings }, STAFF),
  );
  const tx = f.tx;
  return {
    ...f,
    async member(email, name = "Ada Lovelace") {
      const id = newId("member");
      seq += 1;
      await tx((trx) => trx.insertInto("members").values({ merchant_id: f.merchantId, id, email: email ?? `p${seq}-${id.slice(-6)}@example.com`, name }).execute());
      return id;
    },
    code: (memberId) => tx(async (trx) => (await getOrCreateCode(trx, f.merchantId, memberId)).code),
    async refer(friendId, referrerId, facts = {}) {
      const code = await tx(async (trx) => (await getOrCreateCode(trx, f.merchantId, referrerId)).code);
      return tx((trx) => attributeMember(trx, f.merchantId, { memberId: friendId, code, via: "api", ...facts, actor: SYSTEM }));
    },
    async order(memberId, amountMinor, extra = {}) {
      const r = await tx((trx) =>
        recordPurchase(
          trx,
          f.merchantId,
          {
            memberId,
            externalOrderId: `o-${crypto.randomUUID()}`,
            amountMinor,
            currency: "USD",
            occurredAt: extra.at ?? new Date(),
            cardFingerprint: extra.cardFingerprint ?? null,
            awardPoints: true,
          },
          { channel: "api", actor: SYSTEM },
        ),
      );
      return r.order.id;
    },
    referral: (friendId) =>
      tx((trx) => trx.selectFrom("referrals").select(["id", "status", "reasons", "hold_until"]).where("merchant_id", "=", f.merchantId).where("member_id", "=", friendId).executeTakeFirstOrThrow()),
    payouts: (referralId) =>
      tx((trx) =>
        trx
          .selectFrom("referral_payouts")
          .select(["beneficiary_id", "role", "level", "points", "status"])
          .where("merchant_id", "=", f.merchantId)
          .$if(!!referralId, (q) => q.where("referral_id", "=", referralId!))
          .orderBy("level")
          .execute(),
      ),
    emails: (template) =>
      tx((trx) => trx.selectFrom("email_outbox").select(["to_address", "subject"]).where("merchant_id", "=", f.merchantId).where("template", "=", template).execute()),
  };
}

async function expectDomainError(p: Promise<unknown>, code: string) {
  await expect(p).rejects.toSatisfy((e: unknown) => e instanceof DomainError && e.code === code);
}

afterEach(() => resetClock());

describe("codes and attribution", () => {
  it("gives each member one short random code, unique per merchant, and a /r/ link", async () => {
    const f = await fx();
    const a = await f.member();
    const codes = await Promise.all(Array.from({ length: 5 }, () => f.code(a)));
    expect(new Set(codes).size).toBe(1);
    expect(codes[0]).toMatch(/^[2-9A-HJKMNP-Z]{7}$/);
    expect(codes[0]).not.toContain(a.slice(4, 11).toUpperCase());
  });

  it("R2: no self-referral, one referrer per member (never changed), no cycles", async () => {
    const f = await fx();
    const [a, b, c] = [await f.member(), await f.member(), await f.member()];
    await expectDomainError(f.refer(a, a), "self_referral");
    const first = await f.refer(b, a);
    expect(first).toMatchObject({ referrerId: a, status: "pending", created: true });
    expect((await f.refer(b, a)).created).toBe(false);
    await expectDomainError(f.refer(b, c), "already_referred");
    // a → b; b cannot become a's referrer (a refers others) and a cycle would follow.
    await expectDomainError(f.refer(a, b), "has_referrals");
    expect(await f.tx((trx) => ancestors(trx, f.merchantId, b))).toEqual([{ memberId: a, level: 1 }]);
    expect(await f.tx((trx) => ancestors(trx, f.merchantId, a))).toEqual([]);
    // Even the owner's direct write is refused by the tree trigger.
    await expect(
      f.tx((trx) => trx.insertInto("referral_edges").values({ merchant_id: f.merchantId, member_id: a, referrer_id: b, depth: 1, via: "staff" }).execute()),
    ).rejects.toThrow(/already refers others/);
  });

  it("R4: existing customers (orders before the click) cannot be referred", async () => {
    const f = await fx();
    const [a, b] = [await f.member(), await f.member()];
    await f.order(b, 1000, { at: new Date(Date.now() - DAY) });
    await expectDomainError(f.refer(b, a), "existing_customer");
    expect(await f.tx((trx) => trx.selectFrom("referral_edges").select("member_id").where("merchant_id", "=", f.merchantId).execute())).toEqual([]);
  });

  it("sign-up attributes by typed code or landing cookie, ignores unusable codes, and held-out referrers get no link", async () => {
    const f = await fx();
    const a = await f.member();
    const code = await f.code(a);
    const landing = await f.tx((trx) => recordClick(trx, f.merchantId, { code: code.toLowerCase(), deviceId: "dev-1", ip: "203.0.113.9", userAgent: "UA" }));
    expect(landing).toMatchObject({ referrerId: a, referrerFirstName: "Ada", friendOffer: "500 points", cookieDays: 30 });
    const b = await f.member();
    const r = await f.tx((trx) => attributeAtSignup(trx, f.merchantId, b, { cookieCode: code, deviceId: "dev-1" }));
    expect(r).toMatchObject({ referrerId: a, status: "pending" });
    const row = await f.tx((trx) => trx.selectFrom("referrals").select(["via", "click_id"]).where("member_id", "=", b).executeTakeFirstOrThrow());
    expect(row).toEqual({ via: "cookie", click_id: landing!.clickId });
    // Bogus codes never fail the sign-up's transaction.
    const c = await f.member();
    expect(await f.tx((trx) => attributeAtSignup(trx, f.merchantId, c, { typedCode: "NOPE999", cookieCode: "!!" }))).toBeNull();

    // Referral program holdout: everyone held out (50%), so at least one of 12 members is in control.
    await f.tx((trx) => createExperiment(trx, f.merchantId, { kind: "referral_program", name: "Referral holdout", holdoutBps: 5000, createdBy: null } as never));
    let heldOut = 0;
    for (let i = 0; i < 12; i++) {
      const m = await f.member();
      const mc = await f.code(m);
      const info = await f.tx((trx) => recordClick(trx, f.merchantId, { code: mc }));
      const control = await f.tx((trx) =>
        trx
          .selectFrom("experiment_assignments")
          .select("arm")
          .where("merchant_id", "=", f.merchantId)
          .where("member_id", "=", m)
          .executeTakeFirstOrThrow(),
      );
      if (control.arm === "control") {
        heldOut++;
        expect(info).toBeNull();
      } else expect(info).not.toBeNull();
    }
    expect(heldOut).toBeGreaterThan(0);
  });
});

describe("qualification and rewards", () => {
  it("double-sided and multi-level rewards are paid once when the friend qualifies, pending for the hold period", async () => {
    const f = await fx({ qualifyingEvent: { kind: "first_order_above", minAmountMinor: 2000 }, depthCap: 3, levelPoints: { "2": 100, "3": 25 } });
    const [g, p, r, friend] = [await f.member(), await f.member(), await f.member(), await f.member("grace@example.com", "Grace Hopper")];
    await f.refer(p, g);
    await f.refer(r, p);
    await f.refer(friend, r);
    await f.order(friend, 1500); // below the amount: not yet
    expect((await f.referral(friend)).status).toBe("pending");
    await f.order(friend, 2500);
    const ref = await f.referral(friend);
    expect(ref.status).toBe("qualified");
    expect(await f.payouts(ref.id)).toEqual([
      { beneficiary_id: friend, role: "friend", level: 0, points: 500, status: "paid" },
      { beneficiary_id: r, role: "referrer", level: 1, points: 500, status: "paid" },
      { beneficiary_id: p, role: "ancestor", level: 2, points: 100, status: "paid" },
      { beneficiary_id: g, role: "ancestor", level: 3, points: 25, status: "paid" },
    ]);
    expect(await f.balance(r)).toMatchObject({ available: 0, pending: 500 });
    expect(await f.balance(g)).toMatchObject({ pending: 25 });
    expect((await f.emails("referral-welcome")).map((e) => e.to_address)).toEqual(["grace@example.com"]);
    expect(await f.emails("referral-qualified")).toHaveLength(1);

    // Hold period over: the referral is final and the points' lots release with the points job.
    advanceClock(15 * DAY);
    expect(await f.tx((trx) => releaseReferral(trx, f.merchantId, ref.id))).toBe(true);
    expect(await f.tx((trx) => releaseReferral(trx, f.merchantId, ref.id))).toBe(false);
    expect((await f.referral(friend)).status).toBe("rewarded");
    expect(await f.reconcile()).toMatchObject({ mismatches: [] });
  });

  it("jobs: the hold-period release and one digest e-mail per ancestor (safe to run twice at once)", async () => {
    const f = await fx({ depthCap: 3, levelPoints: { "2": 100, "3": 25 } });
    const [g, p, r] = [await f.member("g@example.com"), await f.member("p@example.com"), await f.member()];
    await f.refer(p, g);
    await f.refer(r, p);
    const friends = [await f.member(), await f.member()];
    for (const fr of friends) {
      await f.refer(fr, r);
      await f.order(fr, 3000);
    }
    await Promise.all([runAncestorDigest(testDb()), runAncestorDigest(testDb())]);
    const digests = await f.emails("referral-ancestor-digest");
    expect(digests.map((d) => d.to_address).sort()).toEqual(["g@example.com", "p@example.com"]);
    expect(digests.find((d) => d.to_address === "p@example.com")!.subject).toContain("200 points");
    await runAncestorDigest(testDb());
    expect(await f.emails("referral-ancestor-digest")).toHaveLength(2);

    await runReferralRelease(new Date(), testDb());
    expect((await f.referral(friends[0]!)).status).toBe("qualified");
    advanceClock(15 * DAY);
    await Promise.all([runReferralRelease(new Date(Date.now() + 15 * DAY), testDb()), runReferralRelease(new Date(Date.now() + 15 * DAY), testDb())]);
    for (const fr of friends) expect((await f.referral(fr)).status).toBe("rewarded");
  });

  it("R3: 50 parallel qualifying events for one friend pay exactly one reward per level", async () => {
    const f = await fx({ depthCap: 2, levelPoints: { "2": 100 } });
    const [g, r, friend] = [await f.member(), await f.member(), await f.member()];
    await f.refer(r, g);
    await f.refer(friend, r);
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => f.order(friend, 3000)));
    expect(results.filter((x) => x.status === "rejected")).toEqual([]);
    const payouts = await f.payouts((await f.referral(friend)).id);
    expect(payouts.map((p) => `${p.role}:${p.level}`)).toEqual(["friend:0", "referrer:1", "ancestor:2"]);
    const journals = await f.tx((trx) =>
      trx.selectFrom("ledger_journals").select("idempotency_key").where("merchant_id", "=", f.merchantId).where("source", "=", "referral").execute(),
    );
    expect(journals).toHaveLength(3);
    expect(await f.balance(r)).toMatchObject({ pending: 500 });
    expect(await f.emails("referral-qualified")).toHaveLength(1);
  });

  it("R4: a refund inside the hold period voids the referral and reverses every level; after it, nothing changes", async () => {
    const f = await fx({ depthCap: 2, levelPoints: { "2": 100 } });
    const [g, r, friend, friend2] = [await f.member(), await f.member(), await f.member(), await f.member()];
    await f.refer(r, g);
    await f.refer(friend, r);
    await f.refer(friend2, r);
    const o1 = await f.order(friend, 3000);
    await f.tx((trx) => recordRefund(trx, f.merchantId, { orderId: o1, externalRefundId: "rf-1", amountMinor: 1000, actor: SYSTEM }));
    const v = await f.referral(friend);
    expect(v).toMatchObject({ status: "void", reasons: ["refunded"] });
    expect((await f.payouts(v.id)).map((p) => p.status)).toEqual(["reversed", "reversed", "reversed"]);
    expect(await f.balance(r)).toMatchObject({ available: 0, pending: 0, clawback_debt: 0 });
    expect(await f.balance(g)).toMatchObject({ pending: 0 });

    // Second friend: refunded after the hold period → rewards stay.
    const o2 = await f.order(friend2, 3000);
    advanceClock(15 * DAY);
    await f.tx((trx) => setOrderRefundedTotal(trx, f.merchantId, { orderId: o2, refundedMinor: 3000, causeKey: "stripe:ch_1", actor: SYSTEM }));
    const kept = await f.referral(friend2);
    expect(kept.status).toBe("qualified");
    expect((await f.payouts(kept.id)).every((p) => p.status === "paid")).toBe(true);
    expect(await f.reconcile()).toMatchObject({ mismatches: [] });
  });

  it("caps the referrer's rewards per month and lifetime (the friend is still rewarded)", async () => {
    const f = await fx({ referrerCapPerMonth: 2, referrerCapLifetime: 3, holdDays: 0 });
    const r = await f.member();
    const friends: string[] = [];
    for (let i = 0; i < 3; i++) friends.push(await f.member());
    for (const fr of friends) {
      await f.refer(fr, r);
      await f.order(fr, 3000);
    }
    const all = await f.payouts();
    expect(all.filter((p) => p.role === "referrer")).toHaveLength(2);
    expect(all.filter((p) => p.role === "friend")).toHaveLength(3);
    expect(await f.balance(r)).toMatchObject({ available: 1000 });
    expect((await f.emails("referral-qualified")).length).toBe(3);
  });

  it("catalog rewards wait for the hold period, then are granted once; a refund inside it cancels them", async () => {
    const f = await fx();
    const reward = await f.tx((trx) => createReward(trx, f.merchantId, { name: "$5 off", kind: "fixed_discount", pointsCost: 500, discountMinor: 500 }, SYSTEM));
    await f.tx((trx) =>
      saveReferralSettings(trx, f.merchantId, { ...DEFAULT_REFERRAL_SETTINGS, enabled: true, holdDays: 14, friendReward: { kind: "reward", rewardId: reward.id } }, STAFF),
    );
    const [r, friend, friend2] = [await f.member(), await f.member(), await f.member()];
    await f.refer(friend, r);
    await f.refer(friend2, r);
    await f.order(friend, 3000);
    const o2 = await f.order(friend2, 3000);
    const ref = await f.referral(friend);
    expect((await f.payouts(ref.id)).map((p) => [p.role, p.status])).toEqual([["friend", "pending"], ["referrer", "paid"]]);
    await f.tx((trx) => recordRefund(trx, f.merchantId, { orderId: o2, externalRefundId: "rf-2", amountMinor: 3000, actor: SYSTEM }));
    advanceClock(15 * DAY);
    await f.tx((trx) => releaseReferral(trx, f.merchantId, ref.id));
    await f.tx((trx) => releaseReferral(trx, f.merchantId, ref.id));
    const redemptions = await f.tx((trx) => trx.selectFrom("reward_redemptions").select(["member_id", "reward_id"]).where("merchant_id", "=", f.merchantId).execute());
    expect(redemptions).toEqual([{ member_id: friend, reward_id: reward.id }]);
    expect((await f.payouts(ref.id))[0]).toMatchObject({ role: "friend", status: "paid" });
    expect((await f.payouts((await f.referral(friend2)).id)).map((p) => p.status)).toEqual(["reversed", "reversed"]);
  });

  it("signup as the qualifying event pays at attribution", async () => {
    const f = await fx({ qualifyingEvent: { kind: "signup" }, holdDays: 0 });
    const [r, friend] = [await f.member(), await f.member()];
    expect((await f.refer(friend, r)).status).toBe("rewarded");
    expect(await f.balance(friend)).toMatchObject({ available: 500 });
  });
});

describe("Stripe attribution", () => {
  it("a checkout with referral_code metadata or an expanded promotion code attributes and qualifies the buyer", async () => {
    const f = await fx({ holdDays: 0 });
    const r = await f.member("ada@example.com");
    const code = await f.code(r);
    const s1 = checkoutSession({ email: "new-buyer@example.com", amount: 4000 }) as Record<string, unknown>;
    s1.metadata = { referral_code: code.toLowerCase() };
    expect(await ingestStripeEvent(testDb(), f.merchantId, stripeEvent("checkout.session.completed", s1), "webhook")).toMatchObject({ outcome: expect.stringContaining("recorded") });
    const s2 = checkoutSession({ email: "promo-buyer@example.com", amount: 4000 }) as Record<string, unknown>;
    s2.discounts = [{ promotion_code: { id: "promo_1", object: "promotion_code", code } }];
    await ingestStripeEvent(testDb(), f.merchantId, stripeEvent("checkout.session.completed", s2), "webhook");
    const rows = await f.tx((trx) =>
      trx
        .selectFrom("referrals as x")
        .innerJoin("members as m", (j) => j.onRef("m.merchant_id", "=", "x.merchant_id").onRef("m.id", "=", "x.member_id"))
        .select(["m.email", "x.via", "x.status", "x.referrer_id"])
        .where("x.merchant_id", "=", f.merchantId)
        .orderBy("m.email")
        .execute(),
    );
    expect(rows).toEqual([
      { email: "new-buyer@example.com", via: "stripe", status: "rewarded", referrer_id: r },
      { email: "promo-buyer@example.com", via: "stripe", status: "rewarded", referrer_id: r },
    ]);
    // The referrer's own checkout with their own code: no self-referral, and the order is still recorded.
    const s3 = checkoutSession({ email: "ada@example.com", amount: 4000 }) as Record<string, unknown>;
    s3.metadata = { referral_code: code };
    await ingestStripeEvent(testDb(), f.merchantId, stripeEvent("checkout.session.completed", s3), "webhook");
    expect(await f.tx((trx) => trx.selectFrom("orders").select("id").where("merchant_id", "=", f.merchantId).where("member_id", "=", r).execute())).toHaveLength(1);
    expect(await f.tx((trx) => trx.selectFrom("referrals").select("id").where("merchant_id", "=", f.merchantId).where("member_id", "=", r).execute())).toEqual([]);
  });
});

describe("fraud rules (R1) and the review queue", () => {
  it("e-mail variants at gmail and disposable domains get no reward", async () => {
    const f = await fx({ disposableDomains: ["mailinator.com"] });
    const r = await f.member("Jane.Doe@gmail.com");
    const alias = await f.member("janedoe+promo@googlemail.com");
    const temp = await f.member("x@mailinator.com");
    expect(await f.refer(alias, r)).toMatchObject({ status: "rejected", reasons: ["self_email"] });
    expect(await f.refer(temp, r)).toMatchObject({ status: "rejected", reasons: ["disposable_email"] });
    await f.order(alias, 5000);
    expect(await f.payouts()).toEqual([]);
  });

  it("the same device cookie as another of the referrer's friends gets no reward; same IP + user agent is flagged", async () => {
    const f = await fx();
    const r = await f.member();
    const [a, b, c] = [await f.member(), await f.member(), await f.member()];
    expect((await f.refer(a, r, { deviceId: "dev-x", ip: "198.51.100.1", userAgent: "Firefox" })).status).toBe("pending");
    expect(await f.refer(b, r, { deviceId: "dev-x" })).toMatchObject({ status: "rejected", reasons: ["same_device"] });
    expect(await f.refer(c, r, { deviceId: "dev-y", ip: "198.51.100.1", userAgent: "Firefox" })).toMatchObject({ status: "flagged", reasons: ["same_ip_ua"] });
    // Flagged pays nothing until approved, even after qualifying.
    await f.order(c, 3000);
    expect(await f.payouts((await f.referral(c)).id)).toEqual([]);
    const [item] = await f.tx((trx) => listReviews(trx, f.merchantId, { status: "open" }));
    expect(item).toMatchObject({ friendId: c, referrerId: r, reasons: ["same_ip_ua"], status: "open" });
    const approved = await f.tx((trx) => decideReview(trx, f.merchantId, item!.id, { decision: "approve", note: "shared office" }, STAFF));
    expect(approved.status).toBe("qualified");
    expect((await f.payouts(approved.id)).map((p) => p.role)).toEqual(["friend", "referrer"]);
    await expectDomainError(f.tx((trx) => decideReview(trx, f.merchantId, item!.id, { decision: "reject" }, STAFF)), "conflict");
    const audit = await f.tx((trx) => trx.selectFrom("audit_log").select("action").where("merchant_id", "=", f.merchantId).where("action", "like", "referrals.review%").execute());
    expect(audit.map((a) => a.action)).toEqual(["referrals.review_approve"]);
  });

  it("two checks opening the same referral's review at once leave one open item with both reasons", async () => {
    const f = await fx();
    const [r, friend] = [await f.member(), await f.member()];
    await f.refer(friend, r);
    const { id } = await f.referral(friend);
    // The first check's row is inserted but not committed when the second arrives: the second waits on it, then
    // merges into the committed row (ON CONFLICT … DO UPDATE with text_array_union).
    let opened!: () => void;
    let release!: () => void;
    const firstOpened = new Promise<void>((res) => (opened = res));
    const held = new Promise<void>((res) => (release = res));
    const first = f.tx(async (trx) => {
      await openReview(trx, f.merchantId, id, ["same_ip_ua"]);
      opened();
      await held;
    });
    await firstOpened;
    const second = f.tx((trx) => openReview(trx, f.merchantId, id, ["velocity"]));
    await new Promise((res) => setTimeout(res, 150));
    release();
    await Promise.all([first, second]);
    const items = await f.tx((trx) => listReviews(trx, f.merchantId, { status: "open" }));
    expect(items.map((i) => [i.referralId, i.reasons])).toEqual([[id, ["same_ip_ua", "velocity"]]]);
    // Once more with a reason already there: nothing changes.
    await f.tx((trx) => openReview(trx, f.merchantId, id, ["same_ip_ua"]));
    expect((await f.tx((trx) => listReviews(trx, f.merchantId, { status: "open" })))[0]!.reasons).toEqual(["same_ip_ua", "velocity"]);
  });

  it("the same card fingerprint as the referrer gets no reward", async () => {
    const f = await fx();
    const [r, friend] = [await f.member(), await f.member()];
    await f.order(r, 1000, { cardFingerprint: "fp_same" });
    await f.refer(friend, r);
    await f.order(friend, 3000, { cardFingerprint: "fp_same" });
    expect(await f.referral(friend)).toMatchObject({ status: "rejected", reasons: ["same_card"] });
    expect(await f.payouts()).toEqual([]);
  });

  it("velocity over N sign-ups per hour is flagged; block_referrer stops the referrer's links", async () => {
    const f = await fx({ velocityPerHour: 2 });
    const r = await f.member();
    const statuses: string[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await f.refer(await f.member(), r)).status);
    expect(statuses).toEqual(["pending", "pending", "flagged"]);
    const [item] = await f.tx((trx) => listReviews(trx, f.merchantId));
    const rejected = await f.tx((trx) => decideReview(trx, f.merchantId, item!.id, { decision: "block_referrer" }, STAFF));
    expect(rejected.status).toBe("rejected");
    await expectDomainError(f.refer(await f.member(), r), "not_found");
    expect(await f.tx((trx) => recordClick(trx, f.merchantId, { code: "ABCD" }))).toBeNull();
    expect(await f.tx(async (trx) => recordClick(trx, f.merchantId, { code: (await getOrCreateCode(trx, f.merchantId, r)).code }))).toBeNull();
  });
});

describe("staff correction", () => {
  it("changes the referrer with a reason before any reward; refused after a reward or for members with referrals", async () => {
    const f = await fx();
    const [a, b, friend] = [await f.member(), await f.member(), await f.member()];
    await f.refer(friend, a);
    await expectDomainError(f.tx((trx) => correctReferrer(trx, f.merchantId, { memberId: friend, referrerId: b, reason: "", actor: STAFF })), "validation_failed");
    const moved = await f.tx((trx) => correctReferrer(trx, f.merchantId, { memberId: friend, referrerId: b, reason: "Told us at the till", actor: STAFF }));
    expect(moved).toMatchObject({ referrerId: b });
    expect(await f.tx((trx) => ancestors(trx, f.merchantId, friend))).toEqual([{ memberId: b, level: 1 }]);
    const counts = await f.tx((trx) => trx.selectFrom("member_stats").select(["member_id", "referral_count"]).where("member_id", "in", [a, b]).execute());
    expect(Object.fromEntries(counts.map((c) => [c.member_id, c.referral_count]))).toEqual({ [a]: 0, [b]: 1 });
    const audit = await f.tx((trx) => trx.selectFrom("audit_log").select(["action", "after"]).where("action", "=", "referrals.referrer_corrected").executeTakeFirstOrThrow());
    expect(audit.after).toMatchObject({ referrerId: b, reason: "Told us at the till" });
    await expectDomainError(f.tx((trx) => correctReferrer(trx, f.merchantId, { memberId: b, referrerId: friend, reason: "cycle attempt", actor: STAFF })), "has_referrals");
    await f.order(friend, 3000);
    await expectDomainError(f.tx((trx) => correctReferrer(trx, f.merchantId, { memberId: friend, referrerId: a, reason: "too late now", actor: STAFF })), "reward_paid");
  });
});

describe("tree and network value", () => {
  it("$500 member + three $500 friends = $2,000; each refers three more → $6,500 ($500, $1,500, $4,500)", async () => {
    const f = await fx();
    const root = await f.member();
    await f.order(root, 50_000, { at: new Date(Date.now() - DAY) });
    const level1: string[] = [];
    for (let i = 0; i < 3; i++) {
      const m = await f.member();
      await f.refer(m, root);
      await f.order(m, 50_000);
      level1.push(m);
    }
    expect(await f.tx((trx) => networkValue(trx, f.merchantId, root))).toMatchObject({
      own: { revenueMinor: 50_000, valueMinor: 50_000 },
      levels: [{ level: 1, count: 3, revenueMinor: 150_000, valueMinor: 150_000, predictedMinor: null }],
      totalMinor: 200_000,
    });
    for (const p of level1) {
      for (let i = 0; i < 3; i++) {
        const m = await f.member();
        await f.refer(m, p);
        await f.order(m, 50_000);
      }
    }
    const nv = await f.tx((trx) => networkValue(trx, f.merchantId, root));
    expect(nv).toMatchObject({
      own: { valueMinor: 50_000 },
      levels: [
        { level: 1, count: 3, valueMinor: 150_000 },
        { level: 2, count: 9, valueMinor: 450_000 },
      ],
      size: 12,
      totalMinor: 650_000,
    });
    // Predicted CLTV replaces revenue where the model has scored a member.
    await f.tx((trx) => trx.updateTable("member_stats").set({ cltv_36m_minor: 80_000 }).where("merchant_id", "=", f.merchantId).where("member_id", "=", level1[0]!).execute());
    const scored = await f.tx((trx) => networkValue(trx, f.merchantId, root));
    expect(scored.levels[0]).toMatchObject({ predictedMinor: 80_000, valueMinor: 180_000, revenueMinor: 150_000 });

    const page = await f.tx((trx) => subtreePage(trx, f.merchantId, root, { limit: 2 }));
    expect(page.parent).toMatchObject({ memberId: root, status: null, childCount: 3 });
    expect(page.children).toHaveLength(2);
    expect(page.children[0]).toMatchObject({ status: "qualified", revenueMinor: 50_000, childCount: 3 });
    const rest = await f.tx((trx) => subtreePage(trx, f.merchantId, root, { limit: 2, after: page.nextCursor }));
    expect(rest.children).toHaveLength(1);
    expect(rest.nextCursor).toBeNull();
    expect(new Set([...page.children, ...rest.children].map((c) => c.memberId))).toEqual(new Set(level1));
  });

  it("ancestors and subtrees across anchor segments (a chain deeper than 64)", async () => {
    const f = await fx();
    const ids: string[] = [];
    for (let i = 0; i < 150; i++) ids.push(await f.member());
    await f.tx(async (trx) => {
      for (let i = 1; i < ids.length; i++) {
        await trx.insertInto("referral_edges").values({ merchant_id: f.merchantId, member_id: ids[i]!, referrer_id: ids[i - 1]!, depth: 1, via: "staff" }).execute();
      }
    });
    const up = await f.tx((trx) => ancestors(trx, f.merchantId, ids[149]!));
    expect(up.map((a) => a.memberId)).toEqual(ids.slice(0, 149).reverse());
    expect(up.map((a) => a.level)).toEqual(Array.from({ length: 149 }, (_, i) => i + 1));
    expect(await f.tx((trx) => ancestors(trx, f.merchantId, ids[149]!, 3))).toEqual([
      { memberId: ids[148], level: 1 },
      { memberId: ids[147], level: 2 },
      { memberId: ids[146], level: 3 },
    ]);
    for (const start of [0, 10, 64, 100]) {
      const nv = await f.tx((trx) => networkValue(trx, f.merchantId, ids[start]!));
      expect(nv.size).toBe(149 - start);
      expect(nv.levels.map((l) => l.level)).toEqual(Array.from({ length: 149 - start }, (_, i) => i + 1));
    }
  });
});

describe("tenancy and invites", () => {
  it("codes, attribution and tree queries never cross merchants", async () => {
    const f = await fx();
    const g = await fx();
    const a = await f.member();
    const codeA = await f.code(a);
    const b = await g.member();
    await expectDomainError(g.tx((trx) => attributeMember(trx, g.merchantId, { memberId: b, code: codeA, via: "api", actor: SYSTEM })), "not_found");
    // With merchant B's tenant set, merchant A's rows are invisible even when asked by id.
    const rows = await g.tx((trx: Trx) => sql<{ n: number }>`select count(*)::int as n from referral_codes where member_id = ${a}`.execute(trx));
    expect(rows.rows[0]!.n).toBe(0);
    expect((await g.tx((trx) => networkValue(trx, f.merchantId, a))).levels).toEqual([]);
    const bad = await withTenant(testDb(), g.merchantId, (trx) => subtreePage(trx, f.merchantId, a));
    expect(bad.parent).toBeNull();
  });

  it("invites are e-mailed with the member's note and rate-limited per day", async () => {
    const f = await fx({ invitesPerDay: 2 });
    const a = await f.member("ada@example.com", "Ada Lovelace");
    const r = await f.tx((trx) => sendInvite(trx, f.merchantId, a, { to: "Friend@Example.com", note: "You'll love it" }));
    expect(r.remainingToday).toBe(1);
    await f.tx((trx) => sendInvite(trx, f.merchantId, a, { to: "friend2@example.com" }));
    await expectDomainError(f.tx((trx) => sendInvite(trx, f.merchantId, a, { to: "friend3@example.com" })), "rate_limited");
    await expectDomainError(f.tx((trx) => sendInvite(trx, f.merchantId, a, { to: "not-an-email" })), "validation_failed");
    await expectDomainError(f.tx((trx) => sendInvite(trx, f.merchantId, a, { to: "ada@example.com" })), "already_member");
    const mails = await f.emails("referral-invite");
    expect(mails.map((m) => m.to_address).sort()).toEqual(["friend2@example.com", "friend@example.com"]);
    expect(mails[0]!.subject).toBe("Ada invited you to " + (await f.tx((trx) => trx.selectFrom("merchants").select("name").where("id", "=", f.merchantId).executeTakeFirstOrThrow())).name);
    advanceClock(DAY + 1000);
    await f.tx((trx) => sendInvite(trx, f.merchantId, a, { to: "friend3@example.com" }));
  });
});
