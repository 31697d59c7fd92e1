import { sql } from "kysely";
import type { Trx } from "~/db.server";
import type { Actor } from "~/domain/audit/audit.server";
import { enqueueEmail } from "~/domain/email/outbox.server";
import { isHeldOutOfProgram } from "~/domain/experiments/assignment.server";
import { awardProfileBonusIfComplete, awardSignupBonus } from "./earning.server";
import type { SignupReferralFacts } from "~/domain/referrals/attribution.server";
import { attributeAtSignup, attributeMember } from "./referral-rewards.server";
import type { Member, Merchant } from "~db/schema";
import { portalUrl } from "~/domain/members/accounts.server";
import { now } from "~/lib/clock.server";
import { seam } from "./programs.server";
import { createMember, upsertMember, type MemberInput } from "~/domain/members/members.server";

/**
 * "A customer joins": the one function every entry point calls, and the one table of what each entry point does.
 * A channel's row is the whole difference between channels; add a channel by adding a row, not a composition.
 */

export type EnrolmentChannel = "portal" | "api_members" | "api_order_or_event" | "stripe_checkout" | "import";

export interface EnrolmentPolicy {
  /**
   * An e-mail or external id that already has a member: `update` matches and updates it (upsertMember's rules),
   * `refuse` throws 409 email_taken, `link` (the import's planner) only links an external id to it.
   */
  existing: "update" | "refuse" | "link";
  /** The loyalty holdout's arm is drawn as the member is created, before anything is granted or shown. */
  holdoutDraw: boolean;
  signupBonus: boolean;
  /** When the profile bonus (name and birthday) is checked: as the member joins, also when a matched member is updated, or never. */
  profileBonus: "join" | "join_and_update" | "never";
  /**
   * `signup`: the typed code, else the landing cookie (friend holdout recorded), a refused code ignored;
   * `request`: the request's code, a refused one fails the request; `checkout`: the purchase attributes, not the
   * enrolment; `none`.
   */
  attribution: "signup" | "request" | "checkout" | "none";
  welcomeEmail: boolean;
  /** Who the joining's effects (bonus journals) are recorded as: the caller's actor, or the new member themselves. */
  effectsBy: "caller" | "member";
}

/*
 * Why the rows differ:
 *  - existing: the portal refuses an e-mail that has a member — its owner gets a reset link, never the visitor
 *    (takeover; signUpMember answers before enrolling). Integrations match and update, like POST /members.
 *  - profileBonus join_and_update (API members only): that endpoint is also how an integration edits a profile, so
 *    completing it there earns the bonus as the portal's profile form does. Orders and events check it only on
 *    joining: a matched member on the order hot path must cost no bonus look-up (and a reference has no birthday).
 *  - attribution: a person joining in the portal is never stopped by a stale cookie or a mistyped code; an
 *    integration sent its code on purpose and is told when it is refused; a Stripe code belongs to the checkout,
 *    which attributes its payer whether new or not (applyOrder, after the enrolment and before the order); an
 *    order's or event's member reference carries no code.
 *  - effectsBy member (portal only): the person signs up themselves, so the bonuses are theirs; the row itself is
 *    created by the caller's actor (the system), as the member does not exist before it.
 *  - welcomeEmail (portal only): it invites a person who just chose to join to their portal; a member made by an
 *    integration or a checkout did not ask for the program's mail, and the merchant's own system speaks to them.
 *  - import: past customers from an order history, not people joining today — no bonus windfall posted at import
 *    time, no e-mail to thousands, no referral; the holdout arm is drawn on first sight (the first earning) rather
 *    than a round trip per row of a bulk insert.
 * Behaviour changes made when this table replaced the four compositions (issue 13):
 *  - Portal: the referral code and landing cookie are attributed inside the sign-up's transaction (they were a
 *    second transaction after the account had committed, so a failure there left a member without the referral,
 *    and the sign-up ran the referral hook twice).
 *  - POST /members: the profile bonus of a new member is posted before its referral attribution instead of after
 *    (one order for every channel; neither depends on the other).
 */
export const ENROLMENT_POLICY = {
  portal: { existing: "refuse", holdoutDraw: true, signupBonus: true, profileBonus: "join", attribution: "signup", welcomeEmail: true, effectsBy: "member" },
  api_members: { existing: "update", holdoutDraw: true, signupBonus: true, profileBonus: "join_and_update", attribution: "request", welcomeEmail: false, effectsBy: "caller" },
  api_order_or_event: { existing: "update", holdoutDraw: true, signupBonus: true, profileBonus: "join", attribution: "none", welcomeEmail: false, effectsBy: "caller" },
  stripe_checkout: { existing: "update", holdoutDraw: true, signupBonus: true, profileBonus: "join", attribution: "checkout", welcomeEmail: false, effectsBy: "caller" },
  import: { existing: "link", holdoutDraw: false, signupBonus: false, profileBonus: "never", attribution: "none", welcomeEmail: false, effectsBy: "caller" },
} as const satisfies Record<EnrolmentChannel, EnrolmentPolicy>;

/** The merchant; slug and name are only needed for the welcome e-mail (read when absent). */
export type EnrolmentMerchant = Pick<Merchant, "id"> & Partial<Pick<Merchant, "slug" | "name">>;

export interface EnrolmentOptions {
  channel: Exclude<EnrolmentChannel, "import">;
  actor: Actor;
  /** `signup`: the typed code, landing cookie and device facts; `request`: the request's code as `typedCode`. */
  referral?: SignupReferralFacts;
}

export interface Enrolment {
  member: Member;
  /** False when an existing member was matched (and perhaps updated): nothing of joining happened again. */
  created: boolean;
}

/**
 * A customer joins through `channel`, inside the caller's tenant transaction: the member row (created, or matched
 * and updated), then, for a new member only and in this order, the holdout draw, sign-up bonus, profile bonus,
 * welcome e-mail and referral attribution, as ENROLMENT_POLICY says, and `memberEnrolled` on the event seam. Errors: 409 email_taken / external_id_taken,
 * and for `request` attribution the referral errors of attributeMember (field "code").
 */
export async function enrollMember(trx: Trx, merchant: EnrolmentMerchant, input: MemberInput, options: EnrolmentOptions): Promise<Enrolment> {
  const policy: EnrolmentPolicy = ENROLMENT_POLICY[options.channel];
  const { member, created } =
    policy.existing === "refuse"
      ? { member: await createMember(trx, merchant.id, input, options.actor), created: true }
      : await upsertMember(trx, merchant.id, input, options.actor);
  const actor: Actor = policy.effectsBy === "member" ? { type: "member", id: member.id } : options.actor;
  if (!created) {
    if (policy.profileBonus === "join_and_update") await awardProfileBonusIfComplete(trx, merchant.id, member, actor);
    return { member, created };
  }
  if (policy.holdoutDraw) await isHeldOutOfProgram(trx, merchant.id, "loyalty_program", member.id);
  if (policy.signupBonus) await awardSignupBonus(trx, merchant.id, member.id, actor);
  if (policy.profileBonus !== "never") await awardProfileBonusIfComplete(trx, merchant.id, member, actor);
  if (policy.welcomeEmail) {
    const { slug, name } = merchant.slug && merchant.name ? { slug: merchant.slug, name: merchant.name } : await merchantNaming(trx, merchant.id);
    await enqueueEmail(trx, merchant.id, { template: "welcome", to: member.email, props: { memberName: member.name, merchantName: name, portalUrl: portalUrl(slug) } });
  }
  switch (policy.attribution) {
    case "signup":
      // Also gives the member their own code while the program is on; never fails the sign-up.
      await attributeAtSignup(trx, merchant.id, member.id, options.referral ?? {});
      break;
    case "request": {
      const code = options.referral?.typedCode;
      if (code) await attributeMember(trx, merchant.id, { memberId: member.id, code, via: "api", actor });
      break;
    }
    case "checkout":
    case "none":
      break;
  }
  // Last, so a subscriber (outgoing webhooks, onboarding flows) sees the member as joined: bonus and referral included.
  await seam.publish({ trx, merchantId: merchant.id, actor }, { type: "memberEnrolled", memberId: member.id, channel: options.channel, at: now() });
  return { member, created };
}

function merchantNaming(trx: Trx, merchantId: string) {
  return trx.selectFrom("merchants").select(["slug", "name"]).where("id", "=", merchantId).executeTakeFirstOrThrow();
}

/**
 * The import's members (its "import" row): one INSERT … ON CONFLICT DO NOTHING for a batch planned by
 * planMembers. Returns the ids inserted; fewer than asked means a concurrent writer took a key and the caller
 * plans again.
 */
export async function enrollImportedMembers(
  trx: Trx,
  merchantId: string,
  rows: ReadonlyArray<{ id: string; email: string; externalId: string | null; name: string | null }>,
): Promise<string[]> {
  // The bulk path performs no per-member effect; the compiler holds the import row to that.
  const noEffects: { holdoutDraw: false; signupBonus: false; profileBonus: "never"; attribution: "none"; welcomeEmail: false } = ENROLMENT_POLICY.import;
  void noEffects;
  if (!rows.length) return [];
  const inserted = await sql<{ id: string }>`
    insert into members (merchant_id, id, email, external_id, name)
    select ${merchantId}, t.id, t.email, t.external_id, t.name
    from unnest(${rows.map((m) => m.id)}::text[], ${rows.map((m) => m.email)}::text[], ${rows.map((m) => m.externalId)}::text[], ${rows.map((m) => m.name)}::text[])
      as t(id, email, external_id, name)
    on conflict do nothing
    returning id`.execute(trx);
  return inserted.rows.map((r) => r.id);
}
