import { parseWithZod } from "@conform-to/zod/v4";
import { data } from "@remix-run/node";
import { z } from "zod";
import { db, withTenant } from "~/db.server";
import type { Actor } from "~/domain/audit/audit.server";
import { saveTierProgram } from "~/domain/tiers/definitions.server";
import { pinMemberTier, unpinMemberTier } from "~/domain/tiers/tiers.server";
import { now } from "~/lib/clock.server";
import { isId } from "~/lib/ids";
import { domainErrorData, formAction } from "~/web/form-action.server";
import { localInputToIso } from "~/web/forms/fields";
import { tierFormSchema } from "~/web/forms/tiers";

/** The intents of the admin's tiers page (`admin.$merchant.tiers`), one function each. */

type MerchantRef = { id: string; currency: string; timezone: string };

const PinSchema = z.object({
  memberId: z.string().refine((v) => isId("member", v), "Unknown member"),
  tierId: z.string({ error: "Choose a tier" }).min(1, "Choose a tier"),
  until: z.string({ error: "Choose the date the pin ends" }).min(1, "Choose the date the pin ends"),
  reason: z.string({ error: "Say why" }).trim().min(1, "Say why").max(500, "At most 500 characters"),
});
const UnpinSchema = z.object({ memberId: z.string().refine((v) => isId("member", v), "Unknown member") });

// The member id is the page's own; it is never echoed back (it may be another merchant's).
const hideFields = ["memberId"];

/** intent=pin: holds a member in a tier through the end of a local date. */
export function pinTierAction(merchant: MerchantRef, form: FormData, actor: Actor) {
  const submission = parseWithZod(form, { schema: PinSchema });
  const failed = { intent: "pin" as const, saved: false };
  return formAction(
    submission,
    async (v) => {
      // The date is a local date in the merchant's zone: the pin lasts through the end of that day.
      const untilIso = /^\d{4}-\d{2}-\d{2}$/.test(v.until) ? localInputToIso(`${v.until}T00:00`, merchant.timezone) : null;
      if (!untilIso) return data({ ...failed, result: submission.reply({ fieldErrors: { until: ["Choose a valid date"] }, hideFields }) }, { status: 400 });
      const until = new Date(new Date(untilIso).getTime() + 86_400_000);
      await withTenant(db(), merchant.id, (trx) => pinMemberTier(trx, merchant.id, v.memberId, { tierId: v.tierId, until, reason: v.reason }, actor, now()));
      return { intent: "pin" as const, result: submission.reply({ resetForm: true, hideFields }), saved: true };
    },
    { fields: ["tierId", "until", "reason"], hideFields, extra: failed },
  );
}

/** intent=unpin. */
export async function unpinTierAction(merchant: MerchantRef, form: FormData, actor: Actor) {
  const parsed = UnpinSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) return data({ intent: "unpin" as const, result: null, saved: false, error: "Unknown member" }, { status: 400 });
  try {
    await withTenant(db(), merchant.id, (trx) => unpinMemberTier(trx, merchant.id, parsed.data.memberId, actor, now()));
    return { intent: "unpin" as const, result: null, saved: true };
  } catch (err) {
    return domainErrorData(err, (e) => ({ intent: "unpin" as const, result: null, saved: false, error: e.message }));
  }
}

/** The program editor's save. */
export function saveTiersAction(merchant: MerchantRef, form: FormData, actor: Actor) {
  const submission = parseWithZod(form, { schema: tierFormSchema({ currency: merchant.currency }) });
  return formAction(
    submission,
    async (value) => {
      const r = await withTenant(db(), merchant.id, (trx) => saveTierProgram(trx, merchant.id, value, actor, now()));
      return { intent: "save" as const, result: submission.reply(), saved: r.changed };
    },
    { extra: { intent: "save" as const, saved: false }, listIntents: true },
  );
}
