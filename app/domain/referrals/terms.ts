import { formatMoney } from "~/lib/money";
import type { QualifyingEvent, ReferralReward, ReferralSettings } from "./settings";

/**
 * The referral program's terms in plain words, as the Refer page, the landing page and the sign-up page show them.
 * Pure, so every page says the same thing and tests can read it. The friend holdout's line is part of the terms
 * while it runs: some invited friends get no welcome gift (a measurement), and they still count for the referrer.
 */

/** "$15" for whole amounts, "$15.50" otherwise. */
function amount(minor: number, currency: string): string {
  return formatMoney(minor, currency).replace(/\.00$/, "");
}

function rewardWords(r: ReferralReward): string | null {
  if (r.kind === "points") return `${r.points.toLocaleString("en-US")} ${r.points === 1 ? "point" : "points"}`;
  if (r.kind === "reward") return "a reward";
  return null;
}

/** When the friend's gift arrives, said to the friend: "after your first order of $15 or more". */
export function friendCondition(ev: QualifyingEvent, currency: string): string {
  switch (ev.kind) {
    case "signup":
      return "when you join";
    case "first_order":
      return "after your first order";
    case "first_order_above":
      return `after your first order of ${amount(ev.minAmountMinor, currency)} or more`;
    case "n_orders_within_days":
      return ev.orders === 1
        ? `after your first order within ${ev.days} days of joining`
        : `after ${ev.orders} orders within ${ev.days} days of joining`;
  }
}

/** Which friends count, said to the referrer: "who joins and places a first order of $15 or more". */
function referrerCondition(ev: QualifyingEvent, currency: string): string {
  switch (ev.kind) {
    case "signup":
      return "who joins";
    case "first_order":
      return "who joins and places a first order";
    case "first_order_above":
      return `who joins and places a first order of ${amount(ev.minAmountMinor, currency)} or more`;
    case "n_orders_within_days":
      return `who joins and places ${ev.orders === 1 ? "an order" : `${ev.orders} orders`} within ${ev.days} days`;
  }
}

/** The friend holdout's line of the terms, as the friend reads it (landing and sign-up pages). */
export const HOLDOUT_NOTE_FOR_FRIEND = "Some invited friends receive no welcome gift, as part of a measurement of what the gift adds.";
/** The same, as the referrer reads it (Refer page): held-out friends still count for them. */
export const HOLDOUT_NOTE_FOR_REFERRER = `${HOLDOUT_NOTE_FOR_FRIEND} They still see your invitation, and they count for you just the same.`;

/** Whether the terms must carry the holdout line: the friend holdout runs and there is a gift to go without. */
export function friendHoldoutDisclosed(settings: Pick<ReferralSettings, "friendReward" | "friendHoldoutPercent">): boolean {
  return settings.friendHoldoutPercent > 0 && settings.friendReward.kind !== "none";
}

export interface ReferralTerms {
  /** The friend's gift in words ("300 points"), or null when the program gives friends nothing. */
  friendGift: string | null;
  /** "300 points after your first order of $15 or more", or null without a gift. */
  friendGiftLine: string | null;
  /** "You get 500 points for each friend who joins and places a first order.", or null without a referrer reward. */
  referrerLine: string | null;
  /** The friend holdout's disclosure for the friend (landing and sign-up pages), null while it is off. */
  holdoutNoteForFriend: string | null;
  /** The same disclosure for the referrer (Refer page): held-out friends still count for them. */
  holdoutNoteForReferrer: string | null;
}

export function referralTerms(settings: Pick<ReferralSettings, "friendReward" | "referrerReward" | "qualifyingEvent" | "friendHoldoutPercent">, currency: string): ReferralTerms {
  const friendGift = rewardWords(settings.friendReward);
  const referrerReward = rewardWords(settings.referrerReward);
  const measuring = friendHoldoutDisclosed(settings);
  return {
    friendGift,
    friendGiftLine: friendGift ? `${friendGift} ${friendCondition(settings.qualifyingEvent, currency)}` : null,
    referrerLine: referrerReward ? `You get ${referrerReward} for each friend ${referrerCondition(settings.qualifyingEvent, currency)}.` : null,
    holdoutNoteForFriend: measuring ? HOLDOUT_NOTE_FOR_FRIEND : null,
    holdoutNoteForReferrer: measuring ? HOLDOUT_NOTE_FOR_REFERRER : null,
  };
}
