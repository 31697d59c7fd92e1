import { sql } from "kysely";
import { z } from "zod";
import { now } from "~/lib/clock.server";
import type { Trx } from "~/db.server";
import { enqueueEmail } from "~/domain/email/outbox.server";
import { emailSchema } from "~/domain/members/schemas";
import { DomainError } from "~/lib/errors";
import { newId } from "~/lib/ids";
import { shareableCode } from "./codes.server";
import { getReferralSettings } from "./program.server";
import { referralTerms } from "./terms";

export const InviteSchema = z.object({
  to: emailSchema,
  note: z.string().trim().max(500, "The note must be at most 500 characters").optional().transform((v) => v || null),
});
export type InviteInput = z.input<typeof InviteSchema>;

/**
 * Sends an invite e-mail from a member (with their note) through the outbox. Rate-limited per member per day
 * (settings.invitesPerDay; a per-member advisory lock makes the count exact under concurrency). Errors:
 * validation_failed (field to/note), program_disabled, not_eligible (held out or blocked), already_member,
 * rate_limited.
 */
export async function sendInvite(trx: Trx, merchantId: string, memberId: string, input: InviteInput): Promise<{ inviteId: string; remainingToday: number }> {
  const parsed = InviteSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new DomainError("validation_failed", issue.message, { field: String(issue.path[0] ?? "to") });
  }
  const settings = await getReferralSettings(trx, merchantId);
  if (!settings.enabled) throw new DomainError("program_disabled", "The referral program is not enabled");
  const code = await shareableCode(trx, merchantId, memberId, true);
  if (!code) throw new DomainError("not_eligible", "Referral invitations are not available for this account");
  const existing = await trx.selectFrom("members").select("id").where("merchant_id", "=", merchantId).where("email", "=", parsed.data.to).executeTakeFirst();
  if (existing) throw new DomainError("already_member", "This person is already a member", { field: "to" });

  await sql`select pg_advisory_xact_lock(hashtext(${`referral-invite:${merchantId}:${memberId}`}))`.execute(trx);
  const since = new Date(now().getTime() - 86_400_000);
  const { n } = await trx
    .selectFrom("referral_invites")
    .select(sql<number>`count(*)::int`.as("n"))
    .where("merchant_id", "=", merchantId)
    .where("member_id", "=", memberId)
    .where("sent_at", ">=", since)
    .executeTakeFirstOrThrow();
  if (n >= settings.invitesPerDay) {
    throw new DomainError("rate_limited", `You can send ${settings.invitesPerDay} invitations a day; try again tomorrow`, { field: "to" });
  }
  const [member, merchant] = await Promise.all([
    trx.selectFrom("members").select(["name"]).where("merchant_id", "=", merchantId).where("id", "=", memberId).executeTakeFirstOrThrow(),
    trx.selectFrom("merchants").select(["name", "currency"]).where("id", "=", merchantId).executeTakeFirstOrThrow(),
  ]);
  // The e-mail's gift line says when the gift comes and, while the friend holdout runs, that some friends go without.
  const terms = referralTerms(settings, merchant.currency);
  const offer = terms.friendGiftLine && terms.holdoutNoteForFriend ? `${terms.friendGiftLine} (some invited friends receive no welcome gift, as part of a measurement)` : terms.friendGiftLine;
  const inviteId = newId("referralInvite");
  await trx.insertInto("referral_invites").values({ merchant_id: merchantId, id: inviteId, member_id: memberId, to_email: parsed.data.to, note: parsed.data.note, sent_at: now() }).execute();
  await enqueueEmail(trx, merchantId, {
    template: "referral-invite",
    to: parsed.data.to,
    props: { fromName: member.name?.trim().split(/\s+/)[0] ?? null, merchantName: merchant.name, note: parsed.data.note, offer, link: code.link },
  });
  return { inviteId, remainingToday: settings.invitesPerDay - n - 1 };
}
