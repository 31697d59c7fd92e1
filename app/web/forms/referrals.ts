import { z } from "zod";
import { emailSchema } from "~/domain/members/schemas";

/** Form schemas of the referral pages; pure, so the browser validates with the same rules as the server. */

/** Field names follow the domain's invite (app/domain/referrals/invites.server.ts), so its errors land on them. */
export const InviteFormSchema = z.object({
  to: emailSchema,
  note: z.string().trim().max(500, "The note must be at most 500 characters").optional(),
});

/** A referral code typed at sign-up: letters and digits, spaces and dashes ignored, case-insensitive. */
export const typedCodeSchema = z
  .string()
  .trim()
  .max(40, "A referral code has at most 16 letters and digits")
  .transform((v) => v.replace(/[\s-]+/g, "").toUpperCase())
  .pipe(z.string().regex(/^[A-Z0-9]{4,16}$/, "A referral code has 4 to 16 letters and digits"));

export const REVIEW_DECISIONS = ["approve", "reject", "block_referrer"] as const;

export const ReviewDecisionSchema = z.object({
  reviewId: z.string({ error: "Choose a review item" }).trim().min(1, "Choose a review item").max(64, "Unknown review item"),
  decision: z.enum(REVIEW_DECISIONS, { error: "Choose approve, reject or block the referrer" }),
  reason: z.string({ error: "Give a reason" }).trim().min(3, "Give a reason (at least 3 characters)").max(500, "The reason must be at most 500 characters"),
});

/**
 * Staff correction of a member's referrer: the new referrer by e-mail or referral code (empty with `remove` to take
 * the attribution away), and a reason for the audit trail.
 */
export const CorrectReferrerSchema = z
  .object({
    intent: z.enum(["set", "remove"], { error: "Choose to set or remove the referrer" }),
    referrer: z.string().trim().max(254, "Enter an e-mail address or a referral code").optional(),
    reason: z.string({ error: "Give a reason" }).trim().min(3, "Give a reason (at least 3 characters)").max(500, "The reason must be at most 500 characters"),
  })
  .superRefine((v, ctx) => {
    if (v.intent === "set" && !v.referrer) ctx.addIssue({ code: "custom", path: ["referrer"], message: "Enter the referrer's e-mail address or referral code" });
  });
