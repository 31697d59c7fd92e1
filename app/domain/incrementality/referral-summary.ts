import type { ReportTable } from "./tables";
import { formatMoney, toMajor } from "~/lib/money";

/**
 * The referral section as the report's tables (page and CSV) and one plain-language sentence. Pure: it takes the
 * section's plain data (ReferralSection from referral.server.ts, structurally) so pages and tests share it.
 */

interface SectionLike {
  friendHoldout: boolean;
  arms: Array<{ arm: string; landingDevices: number; signups: number; conversions: number; conversionRate: { rate: number | null; ci95: [number, number] | null }; meanValue: number | null }>;
  pOrganic: { estimate: number; ci95: [number, number] } | null;
  referred: { converts: number; realizedMarginMinor: number; predictedMinor: number; totalMinor: number; perMemberMinor: number | null };
  rewardCost: { pointsPaid: number; totalMinor: number; friendMinor: number; referrerMinor: number };
  premiumMinor: number | null;
  incremental: { valueMinor: number; ci95: [number, number] } | null;
}

const pct = (x: number) => `${Math.round(x * 100)}%`;
// The currency's normal format ("$1,234.56"); the estimates are fractional minor units, rounded for display.
const money = (minor: number, currency: string) => formatMoney(Math.round(minor), currency);

export function referralTables(s: SectionLike, currency: string): ReportTable[] {
  const u = (minor: number | null | undefined) => (minor === null || minor === undefined || !Number.isFinite(minor) ? null : toMajor(minor, currency));
  return [
    {
      name: "referral_arms",
      caption: "Referral friend holdout: conversion of invited friends' landing devices with and without the welcome gift",
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
      caption: "Gifted referred members' value, the share that would have qualified without the gift, and the gift's incremental value net of its cost",
      columns: [
        { label: "Referred members (converted)", kind: "int" },
        { label: `Realized gross margin (${currency})`, kind: "money" },
        { label: `Predicted residual CLTV (${currency})`, kind: "money" },
        { label: `Value of referred members (${currency})`, kind: "money" },
        { label: `Value per referred member (${currency})`, kind: "money" },
        { label: `Reward cost (${currency})`, kind: "money" },
        { label: `Welcome gifts (${currency})`, kind: "money" },
        { label: `Referrer and ancestor rewards (${currency})`, kind: "money" },
        { label: "Would have qualified without the gift (p_organic)", kind: "pct" },
        { label: "p_organic 95% CI low", kind: "pct" },
        { label: "p_organic 95% CI high", kind: "pct" },
        { label: `Premium (${currency})`, kind: "money" },
        { label: `Incremental value of the gift net of its cost (${currency})`, kind: "money" },
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
          u(s.rewardCost.friendMinor),
          u(s.rewardCost.referrerMinor),
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

/** "About N% of invited friends who qualified with the welcome gift would have qualified without it …", or why not known. */
export function referralSentence(s: SectionLike, currency: string): string {
  const n = s.referred.converts;
  const who = `${n.toLocaleString("en-US")} referred ${n === 1 ? "customer" : "customers"}${s.friendHoldout ? " offered the welcome gift" : ""}`;
  const value = `${who} ${n === 1 ? "is" : "are"} worth ${money(s.referred.totalMinor, currency)}, and their referral rewards cost ${money(s.rewardCost.totalMinor, currency)}.`;
  if (!s.friendHoldout) {
    return `The friend holdout has not run (set "Friend holdout" in the referral settings), so there is no estimate of what the friends' welcome gift adds. ${value}`;
  }
  if (!s.pOrganic || !s.incremental) {
    return `The friend holdout has started, but no invited friend with the welcome gift has qualified yet, so the gift's effect cannot be estimated. ${value}`;
  }
  const [lo, hi] = s.pOrganic.ci95;
  return (
    `About ${pct(s.pOrganic.estimate)} of invited friends who qualified with the welcome gift would have qualified without it, on the invitation alone (95% interval ${pct(lo)} to ${pct(hi)}). ` +
    `${value} Net of what it costs (the gifts, and the referrer rewards for the friends it brought), the welcome gift added ${money(s.incremental.valueMinor, currency)} ` +
    `(95% interval ${money(s.incremental.ci95[0], currency)} to ${money(s.incremental.ci95[1], currency)}).`
  );
}
