import { data } from "@remix-run/node";
import { db, withTenant } from "~/db.server";
import type { Actor } from "~/domain/audit/audit.server";
import { correctReferrer, decideReferralReview } from "~/domain/flows/referral-rewards.server";
import { findCodeOwner } from "~/domain/referrals/codes.server";
import { DomainError } from "~/lib/errors";
import { isId } from "~/lib/ids";
import { domainErrorData } from "~/web/form-action.server";
import type { CorrectReferrerSchema, ReviewDecisionSchema } from "~/web/forms/referrals";
import type { Submission } from "@conform-to/zod/v4";
import type { z } from "zod";

/** The actions of the admin's referral pages (tree and review queue). */

type Parsed<S extends z.ZodType> = Submission<z.input<S>, string[], z.output<S>>;

/**
 * Staff correction of a member's referrer, by e-mail or referral code, or its removal. Null when the member is not
 * this merchant's. The domain names its own fields (referrer_id, member); on this form they belong to the referrer
 * box or the form. Statuses are the table's as they are (no 422 → 400 on this form).
 */
export async function correctReferrerAction(merchantId: string, memberId: string, submission: Parsed<typeof CorrectReferrerSchema>, actor: Actor) {
  if (submission.status !== "success") return data({ result: submission.reply(), done: null }, { status: 400 });
  const v = submission.value;
  try {
    const done = await withTenant(db(), merchantId, async (trx) => {
      const member = await trx.selectFrom("members").select("id").where("merchant_id", "=", merchantId).where("id", "=", memberId).executeTakeFirst();
      if (!member) return null;
      let referrerId: string | null = null;
      if (v.intent === "set") {
        const raw = v.referrer ?? "";
        const byEmail = raw.includes("@")
          ? await trx.selectFrom("members").select("id").where("merchant_id", "=", merchantId).where("email", "=", raw.toLowerCase()).executeTakeFirst()
          : undefined;
        referrerId = byEmail?.id ?? (raw.includes("@") ? null : ((await findCodeOwner(trx, merchantId, raw))?.memberId ?? null));
        if (!referrerId) throw new DomainError("not_found", "No member of this program has that e-mail address or referral code", { field: "referrer" });
      }
      await correctReferrer(trx, merchantId, { memberId, referrerId, reason: v.reason, actor });
      return v.intent === "set" ? "The referrer is corrected." : "The referrer is removed.";
    });
    return done === null ? null : { result: submission.reply({ resetForm: true }), done };
  } catch (err) {
    return domainErrorData(err, (e) => {
      const field = e.field === "reason" ? "reason" : e.field === "referrer" || e.field === "referrer_id" ? "referrer" : null;
      return { result: field ? submission.reply({ fieldErrors: { [field]: [e.message] } }) : submission.reply({ formErrors: [e.message] }), done: null };
    });
  }
}

const DONE: Record<string, string> = {
  approve: "Approved: the referral continues and pays when it qualifies.",
  reject: "Rejected: this referral will not pay.",
  block_referrer: "Rejected, and the referrer is blocked: their links no longer attribute.",
};

/** Approve, reject, or reject and block the referrer: a reason is required and the decision is audited. */
export async function decideReviewAction(merchantId: string, submission: Parsed<typeof ReviewDecisionSchema>, actor: Actor) {
  const reviewId = submission.payload.reviewId;
  const echo = typeof reviewId === "string" ? reviewId : "";
  if (submission.status !== "success") return data({ reviewId: echo, result: submission.reply(), decided: null }, { status: 400 });
  const v = submission.value;
  if (!isId("referralReview", v.reviewId)) return data({ reviewId: echo, result: submission.reply({ formErrors: ["Review item not found"] }), decided: null }, { status: 404 });
  try {
    await withTenant(db(), merchantId, (trx) => decideReferralReview(trx, merchantId, v.reviewId, { decision: v.decision, note: v.reason }, actor));
  } catch (err) {
    return domainErrorData(err, (e) => ({ reviewId: echo, result: submission.reply({ formErrors: [e.message] }), decided: null }));
  }
  return { reviewId: echo, result: submission.reply({ resetForm: true }), decided: DONE[v.decision]! };
}
