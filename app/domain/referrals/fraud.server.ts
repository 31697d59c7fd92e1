import { sql } from "kysely";
import { now } from "~/lib/clock.server";
import type { Trx } from "~/db.server";
import { recordAudit, type Actor } from "~/domain/audit/audit.server";
import { DomainError } from "~/lib/errors";
import { newId } from "~/lib/ids";
import type { ReferralReviewDecision, ReferralStatus } from "~db/schema";
import { isDisposableEmail, normalizeEmail, type FraudReason } from "./fraud";
import type { ReferralSettings } from "./settings";

export interface SignupFacts {
  friendId: string;
  referrerId: string;
  deviceId: string | null;
  ip: string | null;
  userAgent: string | null;
}

/** R1 at attribution time: reasons that withhold any reward (`reject`) and reasons that need a review (`flag`). */
export async function signupFraudReasons(
  trx: Trx,
  merchantId: string,
  settings: ReferralSettings,
  facts: SignupFacts,
): Promise<{ reject: FraudReason[]; flag: FraudReason[] }> {
  const reject: FraudReason[] = [];
  const flag: FraudReason[] = [];
  const people = await trx
    .selectFrom("members")
    .select(["id", "email"])
    .where("merchant_id", "=", merchantId)
    .where("id", "in", [facts.friendId, facts.referrerId])
    .execute();
  const friend = people.find((p) => p.id === facts.friendId);
  const referrer = people.find((p) => p.id === facts.referrerId);
  if (friend && referrer && normalizeEmail(friend.email) === normalizeEmail(referrer.email)) reject.push("self_email");
  if (friend && isDisposableEmail(friend.email, settings.disposableDomains)) reject.push("disposable_email");

  // The referrer's own sign-up (when they were referred) and the referrer's other friends are the devices and
  // networks we know to be "theirs".
  const relatedReferrals = () =>
    trx
      .selectFrom("referrals")
      .where("merchant_id", "=", merchantId)
      .where("member_id", "<>", facts.friendId)
      .where((eb) => eb.or([eb("member_id", "=", facts.referrerId), eb("referrer_id", "=", facts.referrerId)]));
  if (facts.deviceId) {
    const same = await relatedReferrals().select("id").where("device_id", "=", facts.deviceId).limit(1).executeTakeFirst();
    if (same) reject.push("same_device");
  }
  if (facts.ip && facts.userAgent) {
    const since = new Date(now().getTime() - settings.ipWindowHours * 3_600_000);
    const same = await relatedReferrals()
      .select("id")
      .where("ip", "=", facts.ip)
      .where("user_agent", "=", facts.userAgent)
      .where("created_at", ">=", since)
      .limit(1)
      .executeTakeFirst();
    if (same) flag.push("same_ip_ua");
  }
  const hourAgo = new Date(now().getTime() - 3_600_000);
  const recent = await trx
    .selectFrom("referrals")
    .select(sql<number>`count(*)::int`.as("n"))
    .where("merchant_id", "=", merchantId)
    .where("referrer_id", "=", facts.referrerId)
    .where("member_id", "<>", facts.friendId)
    .where("created_at", ">=", hourAgo)
    .executeTakeFirstOrThrow();
  // This sign-up is the (n+1)th within the hour.
  if (recent.n + 1 > settings.velocityPerHour) flag.push("velocity");
  return { reject, flag };
}

/** R1 at qualification: the qualifying order paid with a card the referrer has used. */
export async function sameCardAsReferrer(trx: Trx, merchantId: string, referrerId: string, orderId: string): Promise<boolean> {
  const row = await sql<{ hit: number }>`
    select 1 as hit from orders o
    join orders r on r.merchant_id = o.merchant_id and r.member_id = ${referrerId} and r.card_fingerprint = o.card_fingerprint
    where o.merchant_id = ${merchantId} and o.id = ${orderId} and o.card_fingerprint is not null
    limit 1`.execute(trx);
  return row.rows.length > 0;
}

/**
 * Opens a review item for a flagged referral (one open item per referral); an item already open gets the new
 * reasons added. The merge is text_array_union (IMMUTABLE, no subquery: what Citus allows in ON CONFLICT DO UPDATE),
 * applied to the row as it is when this insert wins its lock, so two checks at once leave both reasons.
 */
export async function openReview(trx: Trx, merchantId: string, referralId: string, reasons: FraudReason[]): Promise<void> {
  await sql`
    insert into referral_reviews (merchant_id, id, referral_id, reasons, created_at)
    values (${merchantId}, ${newId("referralReview")}, ${referralId}, ${reasons}::text[], ${now()})
    on conflict (merchant_id, referral_id) where status = 'open'
    do update set reasons = text_array_union(referral_reviews.reasons, excluded.reasons)`.execute(trx);
}

export interface ReviewItem {
  id: string;
  referralId: string;
  friendId: string;
  friendEmail: string;
  referrerId: string;
  referrerEmail: string;
  referralStatus: ReferralStatus;
  reasons: string[];
  status: "open" | "decided";
  decision: ReferralReviewDecision | null;
  note: string | null;
  decidedBy: string | null;
  decidedAt: Date | null;
  createdAt: Date;
}

/** Review items, open first then newest; `status` filters. */
export async function listReviews(
  trx: Trx,
  merchantId: string,
  opts: { status?: "open" | "decided"; id?: string; limit?: number; offset?: number } = {},
): Promise<ReviewItem[]> {
  const rows = await trx
    .selectFrom("referral_reviews as v")
    .innerJoin("referrals as r", (j) => j.onRef("r.merchant_id", "=", "v.merchant_id").onRef("r.id", "=", "v.referral_id"))
    .innerJoin("members as f", (j) => j.onRef("f.merchant_id", "=", "r.merchant_id").onRef("f.id", "=", "r.member_id"))
    .innerJoin("members as p", (j) => j.onRef("p.merchant_id", "=", "r.merchant_id").onRef("p.id", "=", "r.referrer_id"))
    .select([
      "v.id",
      "v.referral_id",
      "r.member_id",
      "f.email as friend_email",
      "r.referrer_id",
      "p.email as referrer_email",
      "r.status as referral_status",
      "v.reasons",
      "v.status",
      "v.decision",
      "v.note",
      "v.decided_by",
      "v.decided_at",
      "v.created_at",
    ])
    .where("v.merchant_id", "=", merchantId)
    .$if(!!opts.status, (q) => q.where("v.status", "=", opts.status!))
    .$if(!!opts.id, (q) => q.where("v.id", "=", opts.id!))
    .orderBy(sql`v.status = 'open'`, "desc")
    .orderBy("v.created_at", "desc")
    .limit(Math.min(Math.max(opts.limit ?? 50, 1), 200))
    .offset(Math.max(opts.offset ?? 0, 0))
    .execute();
  return rows.map((r) => ({
    id: r.id,
    referralId: r.referral_id,
    friendId: r.member_id,
    friendEmail: r.friend_email,
    referrerId: r.referrer_id,
    referrerEmail: r.referrer_email,
    referralStatus: r.referral_status,
    reasons: r.reasons,
    status: r.status,
    decision: r.decision,
    note: r.note,
    decidedBy: r.decided_by,
    decidedAt: r.decided_at,
    createdAt: r.created_at,
  }));
}

/**
 * Records a staff decision on an open review item (audited) and returns what it changed. The referral itself is
 * moved on by `applyReviewDecision` in qualification.server.ts, which the caller (decideReview there) runs next.
 */
export async function closeReview(
  trx: Trx,
  merchantId: string,
  reviewId: string,
  input: { decision: ReferralReviewDecision; note?: string | null },
  actor: Actor,
): Promise<{ referralId: string; referrerId: string; friendId: string }> {
  const review = await trx
    .selectFrom("referral_reviews")
    .selectAll()
    .where("merchant_id", "=", merchantId)
    .where("id", "=", reviewId)
    .forUpdate()
    .executeTakeFirst();
  if (!review) throw new DomainError("not_found", "Review item not found", { field: "review_id" });
  if (review.status !== "open") throw new DomainError("conflict", "This review item was already decided", { field: "review_id" });
  const at = now();
  await trx
    .updateTable("referral_reviews")
    .set({ status: "decided", decision: input.decision, note: input.note ?? null, decided_by: actor.id, decided_at: at })
    .where("merchant_id", "=", merchantId)
    .where("id", "=", reviewId)
    .execute();
  const referral = await trx
    .selectFrom("referrals")
    .select(["id", "member_id", "referrer_id"])
    .where("merchant_id", "=", merchantId)
    .where("id", "=", review.referral_id)
    .executeTakeFirstOrThrow();
  await recordAudit(trx, merchantId, actor, `referrals.review_${input.decision}`, { type: "referral", id: referral.id }, {
    before: { reasons: review.reasons },
    after: { decision: input.decision, note: input.note ?? null },
  });
  if (input.decision === "block_referrer") {
    await trx
      .insertInto("referral_blocks")
      .values({ merchant_id: merchantId, member_id: referral.referrer_id, reason: `Review ${reviewId}`, blocked_by: actor.id, created_at: at })
      .onConflict((oc) => oc.columns(["merchant_id", "member_id"]).doNothing())
      .execute();
    await recordAudit(trx, merchantId, actor, "referrals.referrer_blocked", { type: "member", id: referral.referrer_id }, { after: { reviewId } });
  }
  return { referralId: referral.id, referrerId: referral.referrer_id, friendId: referral.member_id };
}
