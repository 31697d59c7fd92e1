/**
 * What the referral pages hand to their components: plain, display-ready data (formatted on the server in the
 * merchant's time zone and currency), safe for the browser. Pure, so components and loaders share it.
 */

export type ReferralStatus = "pending" | "qualified" | "rewarded" | "flagged" | "rejected" | "void";

export const REFERRAL_STATUS_LABEL: Record<ReferralStatus, string> = {
  pending: "Joined — not qualified yet",
  qualified: "Qualified — reward on hold",
  rewarded: "Rewarded",
  flagged: "Under review",
  rejected: "Not eligible",
  void: "Cancelled",
};

export const REFERRAL_STATUS_TONE: Record<ReferralStatus, "neutral" | "green" | "amber" | "red" | "brand"> = {
  pending: "neutral",
  qualified: "brand",
  rewarded: "green",
  flagged: "amber",
  rejected: "red",
  void: "neutral",
};

/** The landing page at /r/<code>. */
export interface LandingView {
  programName: string;
  /** The referrer's first name (or display name); nothing else about them. */
  referrer: string;
  code: string;
  /** The friend's welcome gift ("300 points"), null without one or in the friend holdout. */
  friendOffer: string | null;
  /** When the gift arrives: "after your first order of $15 or more" (null without a gift). */
  giftCondition: string | null;
  /** The friend holdout's line of the terms while it runs (domain/referrals/terms.ts), else null. */
  holdoutNote: string | null;
  signupHref: string;
  loginHref: string;
}

/** One of the member's own (level-1) referrals, without personal data beyond a first name and an initial. */
export interface PortalReferralRow {
  key: string;
  friend: string;
  status: ReferralStatus;
  joinedOn: string;
  /** What the member earned for this referral, e.g. "500 points", or null while nothing is paid. */
  reward: string | null;
}

export interface NetworkLevelCount {
  level: number;
  members: number;
}

export interface QrView {
  size: number;
  path: string;
}

/** A member in the admin tree. */
export interface TreeNodeView {
  memberId: string;
  name: string;
  email: string;
  memberStatus: string;
  referralStatus: ReferralStatus | null;
  revenue: string;
  networkValue: string | null;
  /** Direct referrals: how many children the node can expand to. */
  childCount: number;
  flags: string[];
}

export interface TreeChildrenPage {
  nodes: TreeNodeView[];
  nextCursor: string | null;
}

/** Fraud reason codes (app/domain/referrals/fraud.ts) in words. */
export const REASON_LABEL: Record<string, string> = {
  self_email: "Same e-mail as the referrer",
  disposable_email: "Disposable e-mail",
  same_device: "Same device",
  same_card: "Same card",
  same_ip_ua: "Same IP and browser",
  velocity: "Too many sign-ups per hour",
  refunded: "Qualifying order refunded",
  staff: "Decided by staff",
};

export const reasonLabel = (code: string) => REASON_LABEL[code] ?? code;
