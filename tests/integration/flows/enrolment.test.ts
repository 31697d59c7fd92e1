import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { withTenant, type Trx } from "~/db.server";
import { createExperiment } from "~/domain/experiments/assignment.server";
import { createImport, runOrderImport } from "~/domain/imports/import.server";
import { ENROLMENT_POLICY, enrollMember, type EnrolmentChannel } from "~/domain/flows/enrolment.server";
import { upsertMember } from "~/domain/members/members.server";
import { DEFAULT_EARNING_RULES, EarningRulesSchema } from "~/domain/points/rules";
import { getOrCreateCode } from "~/domain/referrals/codes.server";
import { saveReferralSettings } from "~/domain/referrals/program.server";
import { DEFAULT_REFERRAL_SETTINGS } from "~/domain/referrals/settings";
import { ingestStripeEvent } from "~/domain/stripe/events.server";
import { newId } from "~/lib/ids";
import * as signup from "~/routes/p.$merchant.signup";
import { api, createKey } from "../../support/api";
import { newMerchant, PASSWORD, post, run, uniq } from "../../support/auth";
import { testDb } from "../../support/db";
import { checkoutSession, stripeEvent } from "../../support/fake-stripe";

/**
 * "A customer joins" through every entry point, checked against ENROLMENT_POLICY (app/domain/members/enroll.server.ts):
 * the sign-up and profile bonuses, the referral attribution, the welcome e-mail and the loyalty holdout's draw.
 */

const STAFF = { type: "staff" as const, id: "stf_test" };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "perennial-enrol-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function shop() {
  const { merchant } = await newMerchant();
  const tx = <T,>(fn: (trx: Trx) => Promise<T>) => withTenant(testDb(), merchant.id, fn);
  const rules = EarningRulesSchema.parse({
    ...DEFAULT_EARNING_RULES,
    bonuses: { signup: 100, firstOrder: 0, birthday: 0, profileCompleted: 50 },
    customEvents: [{ key: "review_posted", label: "a review", points: 25 }],
  });
  const referrer = newId("member");
  const code = await tx(async (trx) => {
    await trx.insertInto("earning_rules").values({ merchant_id: merchant.id, rules: JSON.stringify(rules) }).execute();
    // A holdout of 0%: every member is drawn (and lands in the program), so the draw is visible as an assignment.
    await createExperiment(trx, merchant.id, { kind: "loyalty_program", name: "Loyalty holdout", holdoutBps: 0 });
    await saveReferralSettings(trx, merchant.id, { ...DEFAULT_REFERRAL_SETTINGS, enabled: true }, STAFF);
    await trx.insertInto("members").values({ merchant_id: merchant.id, id: referrer, email: `${uniq("ref")}@example.com`, name: "Rita Referrer" }).execute();
    return (await getOrCreateCode(trx, merchant.id, referrer)).code;
  });
  const { token } = await createKey(merchant.id, ["members:read", "members:write", "orders:write"]);
  return { merchant, tx, referrer, code, token };
}
type Shop = Awaited<ReturnType<typeof shop>>;

/** What joining left behind for one member. */
async function effects(s: Shop, email: string) {
  return s.tx(async (trx) => {
    const member = await trx.selectFrom("members").select("id").where("merchant_id", "=", s.merchant.id).where("email", "=", email).executeTakeFirstOrThrow();
    const journals = await trx.selectFrom("ledger_journals").select(["source", "points"]).where("merchant_id", "=", s.merchant.id).where("member_id", "=", member.id).execute();
    const referral = await trx.selectFrom("referrals").select(["referrer_id", "via"]).where("merchant_id", "=", s.merchant.id).where("member_id", "=", member.id).executeTakeFirst();
    const mail = await trx.selectFrom("email_outbox").select("template").where("merchant_id", "=", s.merchant.id).where("to_address", "=", email).execute();
    const arms = await trx.selectFrom("experiment_assignments").select("arm").where("merchant_id", "=", s.merchant.id).where("member_id", "=", member.id).execute();
    const bonus = (source: string) => journals.filter((j) => j.source === source).reduce((n, j) => n + j.points, 0);
    return {
      memberId: member.id,
      signupBonus: bonus("signup"),
      profileBonus: bonus("profile"),
      referral: referral ?? null,
      welcomeEmail: mail.some((m) => m.template === "welcome"),
      holdoutArm: arms[0]?.arm ?? null,
    };
  });
}

/** Each channel's entry point, called the way its client calls it; `complete` says whether it sent a name and birthday. */
const JOIN: Record<EnrolmentChannel, { via: string | null; complete: boolean; join(s: Shop, email: string): Promise<void> }> = {
  portal: {
    via: "code",
    complete: true,
    async join(s, email) {
      const form = { name: "Pat Portal", email, password: PASSWORD, birthday: "1990-04-23", referralCode: s.code };
      const out = await run(() => signup.action({ request: post(`/p/${s.merchant.slug}/signup`, form), params: { merchant: s.merchant.slug }, context: {} }));
      expect(out.status).toBe(302);
    },
  },
  api_members: {
    via: "api",
    complete: true,
    async join(s, email) {
      const r = await api("POST", "/api/v1/members", { token: s.token, body: { email, name: "Ann Api", birthday: "1991-05-06", referral_code: s.code } });
      expect(r.status).toBe(201);
    },
  },
  api_order_or_event: {
    via: null,
    complete: false,
    async join(s, email) {
      const r = await api("POST", "/api/v1/orders", {
        token: s.token,
        idempotencyKey: uniq("order"),
        body: { order_id: uniq("o"), member: { email, name: "Ole Order" }, amount_minor: 0, currency: "EUR", occurred_at: new Date().toISOString() },
      });
      expect(r.status).toBe(201);
    },
  },
  stripe_checkout: {
    via: "stripe",
    complete: false,
    async join(s, email) {
      const session = checkoutSession({ email, amount: 4000, currency: "eur" }) as Record<string, unknown>;
      session.metadata = { referral_code: s.code };
      const r = await ingestStripeEvent(testDb(), s.merchant.id, stripeEvent("checkout.session.completed", session), "webhook");
      expect(r.outcome).toContain("recorded");
    },
  },
  import: {
    via: null,
    complete: false,
    async join(s, email) {
      const file = path.join(tmp, `${uniq("import")}.csv`);
      fs.writeFileSync(file, `order_id,customer_id,email,date,amount,currency\n${uniq("I")},${uniq("C")},${email},2024-01-01,0.00,EUR\n`);
      const importId = await s.tx((trx) => createImport(trx, s.merchant.id, { filename: "past.csv", awardPoints: false, totalBytes: fs.statSync(file).size, createdBy: null }));
      const r = await runOrderImport({ merchantId: s.merchant.id, importId, filePath: file, awardPoints: false, actor: { type: "system", id: null } });
      expect(r.membersCreated).toBe(1);
    },
  },
};

describe("enrolment: one function, one table", () => {
  it.each(Object.keys(JOIN) as EnrolmentChannel[])("%s does what its row of ENROLMENT_POLICY says", async (channel) => {
    const s = await shop();
    const policy = ENROLMENT_POLICY[channel];
    const { via, complete, join } = JOIN[channel];
    const email = `${uniq(channel.replace(/_/g, "-"))}@example.com`;
    await join(s, email);
    const got = await effects(s, email);
    expect(got).toMatchObject({
      signupBonus: policy.signupBonus ? 100 : 0,
      profileBonus: policy.profileBonus !== "never" && complete ? 50 : 0,
      welcomeEmail: policy.welcomeEmail,
      holdoutArm: policy.holdoutDraw ? "treatment" : null,
    });
    // Stripe's row says the checkout attributes (for new and existing members alike), so a new buyer is attributed too.
    expect(got.referral).toEqual(policy.attribution === "none" ? null : { referrer_id: s.referrer, via });
  });

  it("POST /api/v1/events enrols an unknown member like an order does", async () => {
    const s = await shop();
    const email = `${uniq("event")}@example.com`;
    const r = await api("POST", "/api/v1/events", { token: s.token, idempotencyKey: uniq("ev"), body: { event: "review_posted", member: { email } } });
    expect(r.status).toBe(201);
    expect(await effects(s, email)).toMatchObject({ signupBonus: 100, profileBonus: 0, referral: null, welcomeEmail: false, holdoutArm: "treatment" });
  });

  it("a matched member joins nothing again, and on the order path costs no statement beyond the match", async () => {
    const s = await shop();
    const email = `${uniq("again")}@example.com`;
    const input = { email, name: "Mo Match" };
    const first = await s.tx((trx) => enrollMember(trx, s.merchant, input, { channel: "api_order_or_event", actor: STAFF }));
    expect(first.created).toBe(true);
    const [again, enrolStatements] = await counted(() => s.tx((trx) => enrollMember(trx, s.merchant, input, { channel: "api_order_or_event", actor: STAFF })));
    const [, upsertStatements] = await counted(() => s.tx((trx) => upsertMember(trx, s.merchant.id, input, STAFF)));
    expect(again).toMatchObject({ created: false, member: { id: first.member.id } });
    expect(enrolStatements).toBe(upsertStatements);
    expect(await effects(s, email)).toMatchObject({ signupBonus: 100, welcomeEmail: false });
  });

  it("POST /api/v1/members completes a matched member's profile bonus (join_and_update); the order path does not", async () => {
    const s = await shop();
    const [viaOrder, viaMembers] = [`${uniq("o")}@example.com`, `${uniq("m")}@example.com`];
    for (const email of [viaOrder, viaMembers]) {
      await s.tx((trx) => enrollMember(trx, s.merchant, { email }, { channel: "api_order_or_event", actor: STAFF }));
      await s.tx((trx) => trx.updateTable("members").set({ birthday: "1980-01-01" }).where("merchant_id", "=", s.merchant.id).where("email", "=", email).execute());
    }
    await s.tx((trx) => enrollMember(trx, s.merchant, { email: viaOrder, name: "Ola" }, { channel: "api_order_or_event", actor: STAFF }));
    await s.tx((trx) => enrollMember(trx, s.merchant, { email: viaMembers, name: "Mia" }, { channel: "api_members", actor: STAFF }));
    expect((await effects(s, viaOrder)).profileBonus).toBe(0);
    expect((await effects(s, viaMembers)).profileBonus).toBe(50);
  });

  it("the portal attributes inside the sign-up's transaction, and a refused code never costs the account", async () => {
    const s = await shop();
    // A blocked referrer's code passes the form's check (the owner is active) and is refused by attribution.
    await s.tx((trx) => trx.insertInto("referral_blocks").values({ merchant_id: s.merchant.id, member_id: s.referrer, reason: "test", blocked_by: null }).execute());
    const email = `${uniq("blocked")}@example.com`;
    const form = { name: "Bea Blocked", email, password: PASSWORD, referralCode: s.code };
    const out = await run(() => signup.action({ request: post(`/p/${s.merchant.slug}/signup`, form), params: { merchant: s.merchant.slug }, context: {} }));
    expect(out.status).toBe(302);
    expect(await effects(s, email)).toMatchObject({ signupBonus: 100, referral: null, welcomeEmail: true, holdoutArm: "treatment" });
    // One transaction: the referral hook ran once, and the member's own code was made in it.
    const own = await s.tx((trx) => trx.selectFrom("referral_codes").select("code").where("merchant_id", "=", s.merchant.id).where("member_id", "in", trx.selectFrom("members").select("id").where("email", "=", email)).execute());
    expect(own).toHaveLength(1);
  });
});

/** The statements sent to PostgreSQL while `fn` runs (the transaction's begin/commit included). */
async function counted<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  let n = 0;
  proto.query = function (this: unknown, ...args: unknown[]) {
    n++;
    return original.apply(this, args);
  };
  try {
    return [await fn(), n];
  } finally {
    proto.query = original;
  }
}

