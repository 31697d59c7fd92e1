import type { ReportTable } from "./tables";
import { minorDigits, toMajor } from "~/lib/money";

/**
 * The referral section as the report's tables (page and CSV) and one plain-language sentence. Pure: it takes the
 * section's plain data (ReferralSection from referral.server.ts, structurally) so pages and tests share it.
 */

interface SectionLike {
  friendHoldout: boolean;
  arms: Array<{ arm: string; landingDevices: number; signups: number; conversions: number; conversionRate: { rate: number | null; ci95: [number, number] | null }; meanValue: number | null }>;
  pOrganic: { estimate: number; ci95: [number, number] } | null;
  referred: { converts: number; realizedMarginMinor: number; predictedMinor: number; totalMinor: number; perMemberMinor: number | null };
  rewardCost: { pointsPaid: number; totalMinor: number };
  premiumMinor: number | null;
  incremental: { valueMinor: number; ci95: [number, number] } | null;
}

const pct = (x: number) => `${Math.round(x * 100)}%`;
const money = (minor: number, currency: string) => {
  const digits = minorDigits(currency);
  return `${toMajor(minor, currency).toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })} ${currency}`;
};

export function referralTables(s: SectionLike, currency: string): ReportTable[] {
  const u = (minor: number | null | undefined) => (minor === null || minor === undefined || !Number.isFinite(minor) ? null : toMajor(minor, currency));
  return [
    {
      name: "referral_arms",
      caption: "Referral friend holdout: conversion of landing devices with and without the friend's incentive",
      columns: [
        { label: "Friend arm", kind: "text" },
        { label: "Landing devices", kind: "int" },
        { label: "Sign-ups", kind: "int" },
        { label: "Qualified conversions", kind: "int" },
        { label: "Conversion rate", kind: "pct" },
        { label: "95% CI low", kind: "pct" },
        { label: "95% CI high", kind: "pct" },
        { label: `Value per converted friend (${currency})`, kind: "money" },
      ],
      rows: s.arms.map((a) => [a.arm, a.landingDevices, a.signups, a.conversions, a.conversionRate.rate, a.conversionRate.ci95?.[0] ?? null, a.conversionRate.ci95?.[1] ?? null, u(a.meanValue)]),
    },
    {
      name: "referral_value",
      caption: "Referred members' value, the share that would have come anyway, and incremental value net of rewards",
      columns: [
        { label: "Referred members (converted)", kind: "int" },
        { label: `Realized gross margin (${currency})`, kind: "money" },
        { label: `Predicted residual CLTV (${currency})`, kind: "money" },
        { label: `Value of referred members (${currency})`, kind: "money" },
        { label: `Value per referred member (${currency})`, kind: "money" },
        { label: `Reward cost (${currency})`, kind: "money" },
        { label: "Would have come anyway (p_organic)", kind: "pct" },
        { label: "p_organic 95% CI low", kind: "pct" },
        { label: "p_organic 95% CI high", kind: "pct" },
        { label: `Premium (${currency})`, kind: "money" },
        { label: `Incremental value net of rewards (${currency})`, kind: "money" },
        { label: "95% CI low", kind: "money" },
        { label: "95% CI high", kind: "money" },
      ],
      rows: [
        [
          s.referred.converts,
          u(s.referred.realizedMarginMinor),
          u(s.referred.predictedMinor),
          u(s.referred.totalMinor),
          u(s.referred.perMemberMinor),
          u(s.rewardCost.totalMinor),
          s.pOrganic?.estimate ?? null,
          s.pOrganic?.ci95[0] ?? null,
          s.pOrganic?.ci95[1] ?? null,
          u(s.premiumMinor),
          u(s.incremental?.valueMinor),
          u(s.incremental?.ci95[0]),
          u(s.incremental?.ci95[1]),
        ],
      ],
    },
  ];
}

/** "About N% of referred customers would have come anyway …", or why there is no such estimate. */
export function referralSentence(s: SectionLike, currency: string): string {
  const value = `${s.referred.converts.toLocaleString("en-US")} referred ${s.referred.converts === 1 ? "customer is" : "customers are"} worth ${money(s.referred.totalMinor, currency)}, and their rewards cost ${money(s.rewardCost.totalMinor, currency)}.`;
  if (!s.friendHoldout) {
    return `The friend holdout has not run (set "Friend holdout" in the referral settings), so there is no estimate of how many referred customers would have come anyway. ${value}`;
  }
  if (!s.pOrganic || !s.incremental) {
    return `The friend holdout has started, but no friend with the incentive has converted yet, so the share who would have come anyway cannot be estimated. ${value}`;
  }
  const [lo, hi] = s.pOrganic.ci95;
  return (
    `About ${pct(s.pOrganic.estimate)} of referred customers would have come anyway (95% interval ${pct(lo)} to ${pct(hi)}). ` +
    `${value} Net of rewards, the referral incentive added ${money(s.incremental.valueMinor, currency)} ` +
    `(95% interval ${money(s.incremental.ci95[0], currency)} to ${money(s.incremental.ci95[1], currency)}).`
  );
}
