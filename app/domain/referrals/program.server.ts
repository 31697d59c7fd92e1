import type { Trx } from "~/db.server";
import { recordAudit, type Actor } from "~/domain/audit/audit.server";
import { DomainError } from "~/lib/errors";
import { now } from "~/lib/clock.server";
import { DEFAULT_REFERRAL_SETTINGS, ReferralSettingsSchema, type ReferralSettings } from "./settings";

/** The merchant's referral settings (defaults — program off — until saved). */
export async function getReferralSettings(trx: Trx, merchantId: string): Promise<ReferralSettings> {
  const row = await trx.selectFrom("referral_programs").select("settings").where("merchant_id", "=", merchantId).executeTakeFirst();
  if (!row) return DEFAULT_REFERRAL_SETTINGS;
  const parsed = ReferralSettingsSchema.safeParse({ ...DEFAULT_REFERRAL_SETTINGS, ...(row.settings as object) });
  return parsed.success ? parsed.data : DEFAULT_REFERRAL_SETTINGS;
}

/** Validates and saves the settings (staff action, audited). Throws validation_failed naming the first bad field. */
export async function saveReferralSettings(trx: Trx, merchantId: string, input: unknown, actor: Actor): Promise<ReferralSettings> {
  const parsed = ReferralSettingsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new DomainError("validation_failed", issue.message, { field: issue.path.join(".") || undefined });
  }
  const before = await getReferralSettings(trx, merchantId);
  const settings = parsed.data;
  await trx
    .insertInto("referral_programs")
    .values({ merchant_id: merchantId, settings: JSON.stringify(settings), updated_at: now(), updated_by: actor.id })
    .onConflict((oc) => oc.column("merchant_id").doUpdateSet({ settings: JSON.stringify(settings), updated_at: now(), updated_by: actor.id }))
    .execute();
  await recordAudit(trx, merchantId, actor, "referrals.settings_saved", { type: "referral_program", id: merchantId }, { before, after: settings });
  return settings;
}
