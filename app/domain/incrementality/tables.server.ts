import type { IncrementalityReport } from "./report.server";
import type { ReportSeries } from "./series.server";
import { referralTables } from "./referral-summary";
import type { ReportTable } from "./tables";
import { toMajor } from "~/lib/money";

/** Builds the report's tables (see tables.ts) from the report and its series. */

const n = (x: number) => (Number.isFinite(x) ? x : null);

/** What the costs table counts, in words: when each cost counts, how points-funded rewards are costed, which breakage. */
export function costsCaption(r: IncrementalityReport): string {
  const basis =
    r.pointsCostBasis === "reward_cost"
      ? "points-funded rewards at their cost to the merchant where one is set (else the point value)"
      : "redeemed points at the point value";
  const b = r.breakage;
  const breakage =
    b.source === "history"
      ? `${(b.breakageBps / 100).toFixed(1)}% expected breakage, measured: ${b.expiredPoints} of ${b.settledPoints} points on ${b.settledLots} settled lots expired unredeemed`
      : `${(b.breakageBps / 100).toFixed(1)}% expected breakage, the default (only ${b.settledLots} settled lots / ${b.settledPoints} points: too little history)`;
  return (
    `Program cost: what was given up, when. Rewards without points count when used, at what they took off (a code never used costs nothing); ` +
    `${basis}, when redeemed; points held now count as a liability at the point value × (1 − breakage), ${breakage}.`
  );
}

export function reportTables(r: IncrementalityReport, s: ReportSeries): ReportTable[] {
  const cur = r.currency;
  const u = (minor: number | null) => (minor === null || !Number.isFinite(minor) ? null : toMajor(minor, cur));
  return [
    {
      name: "arms",
      caption: "Members and value per member in each arm",
      columns: [
        { label: "Arm", kind: "text" },
        { label: "Control", kind: "bool" },
        { label: "Members", kind: "int" },
        { label: `Spend per member (${cur})`, kind: "money" },
        { label: `Gross margin per member (${cur})`, kind: "money" },
        { label: `Predicted residual CLTV per member (${cur})`, kind: "money" },
        { label: `Program cost per member (${cur})`, kind: "money" },
        { label: `Net value per member (${cur})`, kind: "money" },
        { label: `SD of net value (${cur})`, kind: "money" },
        { label: `Pre-assignment spend per member (${cur})`, kind: "money" },
        { label: "Joined or claimed", kind: "pct" },
      ],
      rows: r.arms.map((a) => [
        a.arm,
        a.control,
        a.n,
        u(a.revenue.mean),
        u(a.grossMarginPerMember),
        u(a.predicted.perMember),
        u(a.cost.perMember),
        u(a.value.mean),
        u(a.value.sd),
        u(a.preSpend.mean),
        a.joinRate,
      ]),
    },
    {
      name: "costs",
      caption: costsCaption(r),
      columns: [
        { label: "Arm", kind: "text" },
        { label: "Points redeemed", kind: "int" },
        { label: `Redeemed points' cost per member (${cur})`, kind: "money" },
        { label: `Rewards without points, at use, per member (${cur})`, kind: "money" },
        { label: "Points held now", kind: "int" },
        { label: `Points liability per member (${cur})`, kind: "money" },
        { label: `Program cost per member (${cur})`, kind: "money" },
      ],
      rows: r.arms.map((a) => [
        a.arm,
        a.cost.pointsRedeemed,
        u(a.n ? a.cost.pointsMinor / a.n : 0),
        u(a.n ? a.cost.rewardsMinor / a.n : 0),
        a.liability.outstandingPoints,
        u(a.liability.perMember),
        u(a.cost.perMember),
      ]),
    },
    {
      name: "comparisons",
      caption: "Incremental CLTV net of program cost, each arm against the control (Welch)",
      columns: [
        { label: "Arm", kind: "text" },
        { label: `Incremental CLTV per member (${cur})`, kind: "money" },
        { label: "95% CI low", kind: "money" },
        { label: "95% CI high", kind: "money" },
        { label: "p-value", kind: "p" },
        { label: "Welch t", kind: "num" },
        { label: "df", kind: "num" },
        { label: `Incremental CLTV in total (${cur})`, kind: "money" },
        { label: "Total 95% CI low", kind: "money" },
        { label: "Total 95% CI high", kind: "money" },
        { label: `Cost per member vs control (${cur})`, kind: "money" },
        { label: `Spend lift per member (${cur})`, kind: "money" },
        { label: "Spend lift t", kind: "num" },
        { label: "Spend lift p-value", kind: "p" },
        { label: `Spend lift SE (${cur})`, kind: "money" },
        { label: "Spend lift df", kind: "num" },
        { label: `Spend lift 95% CI low (${cur})`, kind: "money" },
        { label: `Spend lift 95% CI high (${cur})`, kind: "money" },
      ],
      rows: r.comparisons.map((c) => [
        c.arm,
        u(c.value.lift),
        u(c.value.ci95[0]),
        u(c.value.ci95[1]),
        n(c.value.pValue),
        n(c.value.t),
        n(c.value.df),
        u(c.total.lift),
        u(c.total.ci95[0]),
        u(c.total.ci95[1]),
        u(c.cost.perMemberDifference),
        u(c.revenue.lift),
        n(c.revenue.t),
        n(c.revenue.pValue),
        u(c.revenue.se),
        n(c.revenue.df),
        u(c.revenue.ci95[0]),
        u(c.revenue.ci95[1]),
      ]),
    },
    {
      name: "cuped",
      caption: "Variance reduction: CUPED (pre-assignment spend) and regression adjustment (Lin 2013: several pre-assignment covariates, HC standard error)",
      columns: [
        { label: "Arm", kind: "text" },
        { label: "θ (net value)", kind: "num" },
        { label: `Incremental CLTV per member, CUPED (${cur})`, kind: "money" },
        { label: "95% CI low", kind: "money" },
        { label: "95% CI high", kind: "money" },
        { label: "p-value", kind: "p" },
        { label: "Variance reduction", kind: "pct" },
        { label: "θ (spend)", kind: "num" },
        { label: `Spend lift, CUPED (${cur})`, kind: "money" },
        { label: "Spend 95% CI low", kind: "money" },
        { label: "Spend 95% CI high", kind: "money" },
        { label: "Spend variance reduction", kind: "pct" },
        { label: `Incremental CLTV per member, regression-adjusted (${cur})`, kind: "money" },
        { label: "Adjusted SE", kind: "money" },
        { label: "Adjusted 95% CI low", kind: "money" },
        { label: "Adjusted 95% CI high", kind: "money" },
        { label: "Adjusted p-value", kind: "p" },
        { label: "Adjusted variance reduction", kind: "pct" },
        { label: `Spend lift, regression-adjusted (${cur})`, kind: "money" },
        { label: "Spend adjusted SE", kind: "money" },
        { label: "Covariates used", kind: "text" },
      ],
      rows: r.comparisons.map((c) => [
        c.arm,
        n(c.valueCuped.theta),
        u(c.valueCuped.lift),
        u(c.valueCuped.ci95[0]),
        u(c.valueCuped.ci95[1]),
        n(c.valueCuped.pValue),
        n(c.valueCuped.varianceReduction),
        n(c.revenueCuped.theta),
        u(c.revenueCuped.lift),
        u(c.revenueCuped.ci95[0]),
        u(c.revenueCuped.ci95[1]),
        n(c.revenueCuped.varianceReduction),
        u(c.valueAdjusted.lift),
        u(c.valueAdjusted.se),
        u(c.valueAdjusted.ci95[0]),
        u(c.valueAdjusted.ci95[1]),
        n(c.valueAdjusted.pValue),
        n(c.valueAdjusted.varianceReduction),
        u(c.revenueAdjusted.lift),
        u(c.revenueAdjusted.se),
        c.valueAdjusted.covariates.join(" "),
      ]),
    },
    {
      name: "power",
      caption: "Sensitivity (80% power, α = 0.05) and, for opt-in programs, the complier effect",
      columns: [
        { label: "Arm", kind: "text" },
        { label: `Minimum detectable effect per member (${cur})`, kind: "money" },
        { label: `For a lift of (${cur})`, kind: "money" },
        { label: "Members needed per arm", kind: "int" },
        { label: `Complier effect per member (${cur})`, kind: "money" },
        { label: "Complier 95% CI low", kind: "money" },
        { label: "Complier 95% CI high", kind: "money" },
        { label: "Join rate difference", kind: "pct" },
        { label: "Complier SE (delta method)", kind: "money" },
      ],
      rows: r.comparisons.map((c) => [
        c.arm,
        u(c.mde),
        u(c.membersNeeded?.lift ?? null),
        c.membersNeeded?.perArm ?? null,
        u(c.complier?.effect ?? null),
        u(c.complier?.ci95[0] ?? null),
        u(c.complier?.ci95[1] ?? null),
        c.complier?.joinRateDifference ?? null,
        u(c.complier?.se ?? null),
      ]),
    },
    {
      name: "months",
      caption: "Value per member by month since assignment (complete months only)",
      columns: [
        { label: "Month", kind: "int" },
        { label: "Arm", kind: "text" },
        { label: "Members observed", kind: "int" },
        { label: `Cumulative value per member (${cur})`, kind: "money" },
        { label: "95% band low", kind: "money" },
        { label: "95% band high", kind: "money" },
        { label: `Value in the month (${cur})`, kind: "money" },
        { label: `Incremental in the month (${cur})`, kind: "money" },
        { label: "95% CI low", kind: "money" },
        { label: "95% CI high", kind: "money" },
      ],
      rows: s.months.flatMap((m) =>
        m.arms.map((a) => {
          const inc = m.incremental.find((i) => i.arm === a.arm);
          return [m.month + 1, a.arm, a.n, u(a.cumulative.mean), u(a.cumulative.lo), u(a.cumulative.hi), u(a.monthly), u(inc?.lift ?? null), u(inc?.lo ?? null), u(inc?.hi ?? null)];
        }),
      ),
    },
    {
      name: "distribution",
      caption: `Distribution of ${s.distribution.basis === "predicted" ? "predicted 12-month CLTV" : "realized value since assignment"} per member`,
      columns: [
        { label: `From (${cur})`, kind: "money" },
        { label: `To (${cur})`, kind: "money" },
        ...s.distribution.arms.map((a) => ({ label: `${a.arm} members`, kind: "int" as const })),
      ],
      rows: s.distribution.edges.slice(0, -1).map((e, b) => [u(e), u(s.distribution.edges[b + 1]!), ...s.distribution.arms.map((a) => a.counts[b] ?? 0)]),
    },
    // Referral program experiments: the friend holdout's section (referral-summary.ts).
    ...(r.referral ? referralTables(r.referral, cur) : []),
  ];
}
