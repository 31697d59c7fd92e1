import type { Trx } from "~/db.server";
import { recordAudit, type Actor } from "~/domain/audit/audit.server";
import { notFound } from "~/lib/errors";
import type { Merchant, MerchantSettings } from "~db/schema";
import type { GeneralSettingsInput } from "./schemas";

/** The values the General settings page edits, read from a merchant row. */
export interface GeneralSettings {
  name: string;
  currency: string;
  timezone: string;
  brandColor: string | null;
  portalTagline: string | null;
  membersOnlyPortal: boolean;
}

export function generalSettingsOf(merchant: Pick<Merchant, "name" | "currency" | "timezone" | "settings">): GeneralSettings {
  const s = (merchant.settings ?? {}) as MerchantSettings;
  return {
    name: merchant.name,
    currency: merchant.currency,
    timezone: merchant.timezone,
    brandColor: typeof s.brandColor === "string" ? s.brandColor : null,
    portalTagline: typeof s.portalTagline === "string" ? s.portalTagline : null,
    membersOnlyPortal: s.membersOnlyPortal === true,
  };
}

/**
 * Saves the General settings and records what changed. The currency is not editable: orders and (later) points are
 * stored in it, so changing it would silently re-denominate history. Other keys in `settings` are left untouched.
 * Runs on a tenant-scoped trx because the audit entry lives in the tenant's log.
 */
export async function updateGeneralSettings(
  trx: Trx,
  merchantId: string,
  actor: Actor,
  input: GeneralSettingsInput,
): Promise<{ settings: GeneralSettings; changed: boolean }> {
  const row = await trx.selectFrom("merchants").selectAll().where("id", "=", merchantId).forUpdate().executeTakeFirst();
  if (!row) throw notFound("Merchant");
  const before = generalSettingsOf(row);

  const settings: MerchantSettings = { ...((row.settings ?? {}) as MerchantSettings) };
  const setOrDrop = (key: "brandColor" | "portalTagline", value: string | undefined) => {
    if (value) settings[key] = value;
    else delete settings[key];
  };
  setOrDrop("brandColor", input.brandColor);
  setOrDrop("portalTagline", input.portalTagline);
  settings.membersOnlyPortal = input.membersOnlyPortal;

  const after = generalSettingsOf({ name: input.name, currency: row.currency, timezone: input.timezone, settings });
  const changedKeys = (Object.keys(after) as Array<keyof GeneralSettings>).filter((k) => after[k] !== before[k]);
  if (!changedKeys.length) return { settings: before, changed: false };

  await trx
    .updateTable("merchants")
    .set({ name: input.name, timezone: input.timezone, settings: JSON.stringify(settings) })
    .where("id", "=", merchantId)
    .execute();
  await recordAudit(trx, merchantId, actor, "merchant.settings_updated", { type: "merchant", id: merchantId }, {
    before: Object.fromEntries(changedKeys.map((k) => [k, before[k]])),
    after: Object.fromEntries(changedKeys.map((k) => [k, after[k]])),
  });
  return { settings: after, changed: true };
}
