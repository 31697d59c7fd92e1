import { sql, type Selectable } from "kysely";
import { now } from "~/lib/clock.server";
import type { Trx } from "~/db.server";
import { recordAudit, type Actor } from "~/domain/audit/audit.server";
import { isHeldOutOfProgram } from "~/domain/experiments/assignment.server";
import { DomainError } from "~/lib/errors";
import { newId } from "~/lib/ids";
import type { ReferralsTable, ReferralVia } from "~db/schema";
import { normalizeCode } from "./codes";
import { findCodeOwner, getOrCreateCode } from "./codes.server";
import { existingFriendArm, friendArmFor, isHoldoutFriend } from "./friend-holdout.server";
import { openReview, signupFraudReasons } from "./fraud.server";
import { getReferralSettings } from "./program.server";
import type { GrantReward } from "./ports.server";
import { evaluateReferral } from "./qualification.server";
import { rewardText } from "./rewards.server";
import { friendHoldoutDisclosed } from "./terms";
import type { QualifyingEvent, ReferralSettings } from "./settings";

/**
 * Who referred whom. One referrer per member, fixed when the member is attributed (sign-up, API or first Stripe
 * order) and never changed afterwards, except by staff with a reason before any reward was paid. Existing customers
 * (orders before the click) cannot be referred, nobody can refer themselves, and a member can only be attached as a
 * leaf of the tree (no referrals of their own yet), which rules out cycles.
 */

type Referral = Selectable<ReferralsTable>;

const clip = (s: string | null | undefined, n: number) => (s ? s.slice(0, n) : null);

export interface LandingInfo {
  clickId: string;
  code: string;
  referrerId: string;
  /** The referrer's first name, or null (the landing page says "a friend"): never their e-mail. */
  referrerFirstName: string | null;
  /**
   * The friend's offer in plain words ("500 points"), or null when the program gives the friend nothing or this
   * device is in the friend holdout.
   */
  friendOffer: string | null;
  /** What makes the friend's gift (and the referrer's reward) due, for the page's wording (terms.ts). */
  qualifyingEvent: QualifyingEvent;
  /** Whether the friend holdout runs (with a gift to hold out): the page's terms then say so (terms.ts). */
  friendHoldoutOn: boolean;
  /** How long the landing page's cookie should live. */
  cookieDays: number;
  /**
   * The friend holdout's arm for this device (null while the holdout is off). `holdout`: the same invitation, without
   * the welcome gift (friendOffer is null then); the friend still joins as a referral and counts for the referrer.
   */
  friendArm: "offer" | "holdout" | null;
}

/**
 * The code's owner when the code attributes, else null: the landing page then shows a neutral "this link is not
 * valid", and the sign-up page repeats no invitation.
 */
export async function usableReferrer(trx: Trx, merchantId: string, settings: ReferralSettings, rawCode: string) {
  if (!settings.enabled) return null;
  const owner = await findCodeOwner(trx, merchantId, rawCode);
  if (!owner || owner.status !== "active") return null;
  const blocked = await trx.selectFrom("referral_blocks").select("member_id").where("merchant_id", "=", merchantId).where("member_id", "=", owner.memberId).executeTakeFirst();
  if (blocked) return null;
  // Held-out referrers have no link and no incentive (the referral program's holdout).
  if (await isHeldOutOfProgram(trx, merchantId, "referral_program", owner.memberId)) return null;
  return owner;
}

/**
 * A landing-page visit on /r/<code>: records the click (for the funnel and the sign-up's click facts) and returns
 * what the page shows. Null for an unknown, blocked or held-out code, or when the program is off.
 */
export async function recordClick(
  trx: Trx,
  merchantId: string,
  input: { code: string; deviceId?: string | null; ip?: string | null; userAgent?: string | null },
): Promise<LandingInfo | null> {
  const settings = await getReferralSettings(trx, merchantId);
  const owner = await usableReferrer(trx, merchantId, settings, input.code);
  if (!owner) return null;
  const friendArm = await friendArmFor(trx, merchantId, clip(input.deviceId, 100), settings);
  const clickId = newId("referralClick");
  await trx
    .insertInto("referral_clicks")
    .values({
      merchant_id: merchantId,
      id: clickId,
      code: owner.code,
      referrer_id: owner.memberId,
      device_id: clip(input.deviceId, 100),
      ip: clip(input.ip, 64),
      user_agent: clip(input.userAgent, 500),
      landed_at: now(),
      friend_arm: friendArm,
    })
    .execute();
  return {
    clickId,
    code: owner.code,
    referrerId: owner.memberId,
    referrerFirstName: owner.name?.trim().split(/\s+/)[0] ?? null,
    friendOffer: friendArm === "holdout" ? null : rewardText(settings.friendReward),
    cookieDays: settings.cookieDays,
    qualifyingEvent: settings.qualifyingEvent,
    friendHoldoutOn: friendHoldoutDisclosed(settings),
    friendArm,
  };
}

export interface AttributeInput {
  memberId: string;
  code: string;
  via: Exclude<ReferralVia, "staff">;
  deviceId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  actor: Actor;
}

export interface AttributionResult {
  referralId: string;
  referrerId: string;
  status: Referral["status"];
  reasons: string[];
  /** False when the member already had this referral (a retry): nothing changed. */
  created: boolean;
}

const toResult = (r: Referral, created: boolean): AttributionResult => ({
  referralId: r.id,
  referrerId: r.referrer_id,
  status: r.status,
  reasons: r.reasons,
  created,
});

/**
 * Attributes a member to the owner of `code` (API, sign-up, Stripe). Errors (DomainError, field "code" unless
 * said): not_found (unknown/unusable code), program_disabled, self_referral, already_referred (another referrer),
 * existing_customer, has_referrals (the member already refers others). The same code again returns the existing
 * referral (`created: false`). `grant` (the rewards program's grantReward, from flows/referral-rewards.server.ts)
 * is used when the referral qualifies at once with no hold period.
 */
export async function attributeMember(trx: Trx, merchantId: string, input: AttributeInput, grant: GrantReward): Promise<AttributionResult> {
  const settings = await getReferralSettings(trx, merchantId);
  if (!settings.enabled) throw new DomainError("program_disabled", "The referral program is not enabled");
  if (!normalizeCode(input.code)) throw new DomainError("validation_failed", "A referral code is 4 to 16 letters or digits", { field: "code" });
  const owner = await usableReferrer(trx, merchantId, settings, input.code);
  if (!owner) throw new DomainError("not_found", "Unknown referral code", { field: "code" });
  if (owner.memberId === input.memberId) throw new DomainError("self_referral", "A member cannot refer themselves", { field: "code" });

  // The member row lock serialises concurrent attributions of one member (sign-up and API at once).
  const member = await trx
    .selectFrom("members")
    .select(["id", "status"])
    .where("merchant_id", "=", merchantId)
    .where("id", "=", input.memberId)
    .forUpdate()
    .executeTakeFirst();
  if (!member) throw new DomainError("not_found", "Member not found", { field: "member" });
  if (member.status !== "active") throw new DomainError("conflict", "Only active members can be referred", { field: "member" });

  const existing = await trx.selectFrom("referrals").selectAll().where("merchant_id", "=", merchantId).where("member_id", "=", input.memberId).executeTakeFirst();
  if (existing) {
    if (existing.referrer_id === owner.memberId) return toResult(existing, false);
    throw new DomainError("already_referred", "This member was already referred by someone else; the referrer never changes", { field: "code" });
  }
  // A friend who joined from the earlier design's plain join page stays unreferred, so that period's measurement holds.
  if (await isHoldoutFriend(trx, merchantId, input.memberId)) {
    throw new DomainError("holdout_friend", "This member joined through the referral program's holdout and cannot be referred", { field: "member" });
  }
  const hasReferrals = await trx.selectFrom("referral_edges").select("member_id").where("merchant_id", "=", merchantId).where("referrer_id", "=", input.memberId).limit(1).executeTakeFirst();
  if (hasReferrals) throw new DomainError("has_referrals", "This member already refers others and cannot be referred now", { field: "member" });

  // The click this sign-up came from: the latest landing by this device on this code within the cookie lifetime.
  const cookieSince = new Date(now().getTime() - settings.cookieDays * 86_400_000);
  const click = input.deviceId
    ? await trx
        .selectFrom("referral_clicks")
        .select(["id", "landed_at", "friend_arm"])
        .where("merchant_id", "=", merchantId)
        .where("device_id", "=", input.deviceId)
        .where("referrer_id", "=", owner.memberId)
        .where("landed_at", ">=", cookieSince)
        .orderBy("landed_at", "desc")
        .limit(1)
        .executeTakeFirst()
    : undefined;
  // Existing customers: any order before the click (or before now, without one) means they were already buying.
  const cutoff = click?.landed_at ?? now();
  const prior = await trx.selectFrom("orders").select("id").where("merchant_id", "=", merchantId).where("member_id", "=", input.memberId).where("occurred_at", "<", cutoff).limit(1).executeTakeFirst();
  if (prior) throw new DomainError("existing_customer", "Existing customers cannot be referred", { field: "member" });

  // The friend holdout's arm: the click's, else the device's (a code typed on a held-out device still gets no gift).
  const friendArm = click ? click.friend_arm : settings.friendHoldoutPercent > 0 ? await existingFriendArm(trx, merchantId, clip(input.deviceId, 100)) : null;

  const facts = { friendId: input.memberId, referrerId: owner.memberId, deviceId: clip(input.deviceId, 100), ip: clip(input.ip, 64), userAgent: clip(input.userAgent, 500) };
  const fraud = await signupFraudReasons(trx, merchantId, settings, facts);
  const status: Referral["status"] = fraud.reject.length > 0 ? "rejected" : fraud.flag.length > 0 ? "flagged" : "pending";
  const at = now();
  await trx
    .insertInto("referral_edges")
    // depth is computed by the tree trigger from the referrer's node.
    .values({ merchant_id: merchantId, member_id: input.memberId, referrer_id: owner.memberId, depth: 1, via: input.via, created_at: at })
    .execute();
  const referral = await trx
    .insertInto("referrals")
    .values({
      merchant_id: merchantId,
      id: newId("referral"),
      member_id: input.memberId,
      referrer_id: owner.memberId,
      code: owner.code,
      via: input.via,
      status,
      reasons: [...fraud.reject, ...fraud.flag],
      click_id: click?.id ?? null,
      friend_arm: friendArm,
      device_id: facts.deviceId,
      ip: facts.ip,
      user_agent: facts.userAgent,
      created_at: at,
      updated_at: at,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  if (status === "flagged") await openReview(trx, merchantId, referral.id, fraud.flag);
  await recordAudit(trx, merchantId, input.actor, "referrals.attributed", { type: "member", id: input.memberId }, {
    after: { referralId: referral.id, referrerId: owner.memberId, via: input.via, status, reasons: referral.reasons },
  });
  // The friend can refer others from now on.
  await getOrCreateCode(trx, merchantId, input.memberId);
  const evaluated = await evaluateReferral(trx, merchantId, input.memberId, input.actor, grant);
  return toResult(evaluated ?? referral, true);
}

export interface SignupReferralFacts {
  cookieCode?: string | null;
  typedCode?: string | null;
  deviceId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
}

/**
 * Portal / API sign-up hook: attributes a new member from the code they typed, else the landing page's cookie.
 * Never fails the sign-up: an unusable code is ignored (null). Creates the member's own code either way.
 */
export async function attributeAtSignup(trx: Trx, merchantId: string, memberId: string, input: SignupReferralFacts, grant: GrantReward): Promise<AttributionResult | null> {
  const settings = await getReferralSettings(trx, merchantId);
  if (settings.enabled) await getOrCreateCode(trx, merchantId, memberId);
  // A typed code is the member's explicit choice, so it wins over a cookie from an earlier visit.
  const candidates: Array<{ code: string; via: "code" | "cookie" }> = [];
  if (input.typedCode?.trim()) candidates.push({ code: input.typedCode.trim(), via: "code" });
  if (input.cookieCode?.trim()) candidates.push({ code: input.cookieCode.trim(), via: "cookie" });
  for (const c of candidates) {
    // A savepoint: a refused code must not poison the sign-up's transaction.
    await sql`savepoint referral_attribution`.execute(trx);
    try {
      const r = await attributeMember(trx, merchantId, {
        memberId,
        code: c.code,
        via: c.via,
        deviceId: input.deviceId,
        ip: input.ip,
        userAgent: input.userAgent,
        actor: { type: "member", id: memberId, ip: input.ip ?? null },
      }, grant);
      await sql`release savepoint referral_attribution`.execute(trx);
      return r;
    } catch (err) {
      await sql`rollback to savepoint referral_attribution`.execute(trx);
      if (!(err instanceof DomainError)) throw err;
    }
  }
  return null;
}

/**
 * Stripe checkout hook: a checkout carrying `referral_code` in its metadata (or a promotion code equal to a member's
 * referral code) attributes the paying member, when that member is not attributed yet. Runs before the order is
 * recorded, so "existing customer" means orders before this checkout. Never fails the webhook: null when refused.
 */
export async function attributeFromStripe(trx: Trx, merchantId: string, memberId: string, codes: Array<string | null | undefined>, grant: GrantReward): Promise<AttributionResult | null> {
  for (const code of codes) {
    if (!code || !normalizeCode(code)) continue;
    await sql`savepoint referral_stripe`.execute(trx);
    try {
      const r = await attributeMember(trx, merchantId, { memberId, code, via: "stripe", actor: { type: "system", id: null } }, grant);
      await sql`release savepoint referral_stripe`.execute(trx);
      return r;
    } catch (err) {
      await sql`rollback to savepoint referral_stripe`.execute(trx);
      if (!(err instanceof DomainError)) throw err;
    }
  }
  return null;
}

/**
 * Staff correction of a member's referrer (audited, with a reason): only while no reward of the referral has been
 * paid, only for a member without referrals of their own, never to themselves or a member below them.
 * `referrerId: null` removes the attribution.
 */
export async function correctReferrer(
  trx: Trx,
  merchantId: string,
  input: { memberId: string; referrerId: string | null; reason: string; actor: Actor },
  grant: GrantReward,
): Promise<AttributionResult | null> {
  const reason = input.reason.trim();
  if (reason.length < 3 || reason.length > 500) throw new DomainError("validation_failed", "Give a reason (3 to 500 characters)", { field: "reason" });
  if (input.referrerId === input.memberId) throw new DomainError("self_referral", "A member cannot refer themselves", { field: "referrer_id" });
  const member = await trx.selectFrom("members").select("id").where("merchant_id", "=", merchantId).where("id", "=", input.memberId).forUpdate().executeTakeFirst();
  if (!member) throw new DomainError("not_found", "Member not found", { field: "member" });
  if (input.referrerId) {
    const ref = await trx.selectFrom("members").select("status").where("merchant_id", "=", merchantId).where("id", "=", input.referrerId).executeTakeFirst();
    if (!ref) throw new DomainError("not_found", "Referrer not found", { field: "referrer_id" });
  }
  const existing = await trx.selectFrom("referrals").selectAll().where("merchant_id", "=", merchantId).where("member_id", "=", input.memberId).forUpdate().executeTakeFirst();
  if (existing) {
    const paid = await trx.selectFrom("referral_payouts").select("id").where("merchant_id", "=", merchantId).where("referral_id", "=", existing.id).limit(1).executeTakeFirst();
    if (paid || existing.status === "qualified" || existing.status === "rewarded") {
      throw new DomainError("reward_paid", "A reward was already paid for this referral; the referrer can no longer be changed", { field: "referrer_id" });
    }
  }
  const hasReferrals = await trx.selectFrom("referral_edges").select("member_id").where("merchant_id", "=", merchantId).where("referrer_id", "=", input.memberId).limit(1).executeTakeFirst();
  if (hasReferrals) throw new DomainError("has_referrals", "This member refers others; moving them would move their whole network", { field: "member" });

  const at = now();
  let result: Referral | null = null;
  if (input.referrerId === null) {
    await trx.deleteFrom("referral_edges").where("merchant_id", "=", merchantId).where("member_id", "=", input.memberId).execute();
    await trx.deleteFrom("referral_nodes").where("merchant_id", "=", merchantId).where("member_id", "=", input.memberId).execute();
    if (existing) result = await trx.updateTable("referrals").set({ status: "void", reasons: [...new Set([...existing.reasons, "staff"])], voided_at: at, updated_at: at }).where("merchant_id", "=", merchantId).where("id", "=", existing.id).returningAll().executeTakeFirstOrThrow();
  } else {
    await trx
      .insertInto("referral_edges")
      .values({ merchant_id: merchantId, member_id: input.memberId, referrer_id: input.referrerId, depth: 1, via: "staff", created_at: at })
      .onConflict((oc) => oc.columns(["merchant_id", "member_id"]).doUpdateSet({ referrer_id: input.referrerId!, via: "staff" }))
      .execute();
    const code = await getOrCreateCode(trx, merchantId, input.referrerId);
    result = existing
      ? await trx.updateTable("referrals").set({ referrer_id: input.referrerId, via: "staff", code: code.code, updated_at: at }).where("merchant_id", "=", merchantId).where("id", "=", existing.id).returningAll().executeTakeFirstOrThrow()
      : await trx
          .insertInto("referrals")
          .values({ merchant_id: merchantId, id: newId("referral"), member_id: input.memberId, referrer_id: input.referrerId, code: code.code, via: "staff", status: "pending", created_at: at, updated_at: at })
          .returningAll()
          .executeTakeFirstOrThrow();
  }
  await recordAudit(trx, merchantId, input.actor, "referrals.referrer_corrected", { type: "member", id: input.memberId }, {
    before: existing ? { referrerId: existing.referrer_id, status: existing.status } : null,
    after: { referrerId: input.referrerId, reason },
  });
  if (result && result.status === "pending") result = (await evaluateReferral(trx, merchantId, input.memberId, input.actor, grant)) ?? result;
  return result ? toResult(result, !existing) : null;
}
