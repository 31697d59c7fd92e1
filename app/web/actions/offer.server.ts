import { parseWithZod } from "@conform-to/zod/v4";
import { data } from "@remix-run/node";
import { db, withTenant } from "~/db.server";
import type { Actor } from "~/domain/audit/audit.server";
import { createAnnouncement } from "~/domain/offers/announcements.server";
import { updateOffer, type Offer } from "~/domain/offers/offers.server";
import { AnnouncementFormSchema, OfferFormSchema } from "~/domain/offers/schemas";
import { now } from "~/lib/clock.server";
import { domainErrorData, formAction } from "~/web/form-action.server";
import { offerFormValues } from "~/web/presenters/offer-page.server";

/** The intents of the admin's offer page (`admin.$merchant.offers.$offerId`), one function each. */

type MerchantRef = { id: string; timezone: string };

/** intent=announce: e-mails the offer to the treated members, at most `perMinute` a minute. */
export async function announceOfferAction(merchantId: string, offerId: string, form: FormData, actor: Actor) {
  const submission = parseWithZod(form, { schema: AnnouncementFormSchema });
  if (submission.status !== "success") return data({ intent: "announce" as const, result: submission.reply(), message: null }, { status: 400 });
  try {
    const a = await withTenant(db(), merchantId, (trx) => createAnnouncement(trx, merchantId, offerId, submission.value.perMinute, actor, now()));
    return { intent: "announce" as const, result: submission.reply({ resetForm: true }), message: `Sending to ${a.total.toLocaleString("en-US")} treated members.` };
  } catch (err) {
    return domainErrorData(err, (e) => ({ intent: "announce" as const, result: submission.reply({ formErrors: [e.message] }), message: null }));
  }
}

/** intent=archive|activate: the offer as it is, with another status. */
export async function setOfferStatusAction(merchant: MerchantRef, offer: Offer, intent: "archive" | "activate", actor: Actor) {
  const status = intent === "archive" ? ("archived" as const) : ("active" as const);
  const parsed = OfferFormSchema.parse({ ...offerFormValues(offer, merchant.timezone), status });
  await withTenant(db(), merchant.id, (trx) => updateOffer(trx, merchant, offer.id, { ...parsed, status }, actor, now()));
  return { intent, result: undefined, message: intent === "archive" ? "Offer archived: members no longer see it." : "Offer active again." };
}

/** The edit form. What the offer grants and its holdout are fixed: the disabled fields are filled from the offer as it is. */
export function updateOfferAction(merchant: MerchantRef, offer: Offer, form: FormData, actor: Actor) {
  for (const [k, v] of Object.entries(offerFormValues(offer, merchant.timezone))) {
    if (["kind", "rewardId", "multiplierPercent", "multiplierDays", "holdoutPercent"].includes(k)) form.set(k, String(v ?? ""));
  }
  const submission = parseWithZod(form, { schema: OfferFormSchema });
  return formAction(
    submission,
    async (value) => {
      await withTenant(db(), merchant.id, (trx) => updateOffer(trx, merchant, offer.id, value, actor, now()));
      return { intent: "update" as const, result: submission.reply(), message: "Offer saved." };
    },
    { extra: { intent: "update" as const, message: null } },
  );
}
