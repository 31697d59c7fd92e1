import { describe, expect, it } from "vitest";
import { withTenant } from "~/db.server";
import { saveCltvSettings } from "~/domain/cltv/settings.server";
import { createExperiment } from "~/domain/experiments/assignment.server";
import { subscriptionRetentionByArm } from "~/domain/subscriptions/arms.server";
import { discountedExpectedLifetime, periodDiscountRate, survival } from "~/domain/subscriptions/sbg";
import { subscriptionReport } from "~/domain/subscriptions/summary.server";
import { renderToStaticMarkup } from "react-dom/server";
import { createElement } from "react";
import { SubscriptionReportView } from "~/components/subscriptions/report";
import { loader as pageLoader } from "~/routes/admin.$merchant.subscriptions";
import { createMerchant, createStaff, getRequest, insertMembers } from "../../support/admin";
import { api, createKey } from "../../support/api";
import { testDb } from "../../support/db";

/**
 * Issue 16 §5: MRR, churn and cohort retention computed in SQL from the subscriptions Stripe sent, and the sBG fit and
 * subscription CLTV on them, against worlds whose answers are known.
 */

interface Sub {
  id: string;
  start: Date;
  end?: Date | null;
  mrr: number;
  status?: string;
  currency?: string;
  memberId?: string;
}

async function seed(merchantId: string, subs: Sub[]) {
  await withTenant(testDb(), merchantId, async (trx) => {
    for (let i = 0; i < subs.length; i += 1000) {
      await trx
        .insertInto("subscriptions")
        .values(
          subs.slice(i, i + 1000).map((s) => ({
            merchant_id: merchantId,
            stripe_subscription_id: s.id,
            stripe_customer_id: `cus_${s.id}`,
            member_id: s.memberId ?? null,
            status: s.status ?? (s.end ? "canceled" : "active"),
            currency: s.currency ?? "USD",
            plan_amount_minor: s.mrr,
            plan_interval: "month" as const,
            plan_interval_count: 1,
            mrr_minor: s.mrr,
            started_at: s.start,
            canceled_at: s.end ?? null,
            ended_at: s.end ?? null,
            stripe_event_at: s.start,
            updated_at: s.start,
          })),
        )
        .execute();
    }
  });
}

const utc = (y: number, m: number, d = 1, h = 12) => new Date(Date.UTC(y, m - 1, d, h));
const report = (merchantId: string, at: Date) => withTenant(testDb(), merchantId, (trx) => subscriptionReport(trx, merchantId, { at }));

describe("subscription report", () => {
  it("a merchant with no subscriptions gets the empty state", async () => {
    const m = await createMerchant();
    const r = await report(m.id, utc(2026, 6, 15));
    expect(r).toMatchObject({ hasSubscriptions: false, months: [], cohorts: [], fit: null, cltvMinor: null, warnings: [] });
    expect(renderToStaticMarkup(createElement(SubscriptionReportView, { report: r, currency: "USD" }))).toContain("No subscriptions yet");
  });

  it("MRR, starts, churns and churn rates per month, and the churn period of each subscription, on a hand-made world", async () => {
    const m = await createMerchant();
    await seed(m.id, [
      // January cohort: one churns exactly at its second renewal date (T = 2), one mid-March (T = 3), one stays.
      { id: "a", start: utc(2026, 1, 10), end: utc(2026, 3, 10), mrr: 1000 },
      { id: "b", start: utc(2026, 1, 20), end: utc(2026, 3, 25), mrr: 2000 },
      { id: "c", start: utc(2026, 1, 31), mrr: 3000 },
      // February: one still active; one trialing and one that never started are left out.
      { id: "d", start: utc(2026, 2, 5), mrr: 500 },
      { id: "e", start: utc(2026, 2, 6), mrr: 9999, status: "trialing" },
      { id: "f", start: utc(2026, 2, 7), mrr: 9999, status: "incomplete_expired" },
      // Another currency does not count.
      { id: "g", start: utc(2026, 2, 8), mrr: 9999, currency: "EUR" },
    ]);
    const r = await report(m.id, utc(2026, 4, 15));
    expect(r.months.map((x) => [x.month, x.mrrMinor, x.active, x.started, x.churned, x.churnedMrrMinor])).toEqual([
      ["2026-01-01", 6000, 3, 3, 0, 0],
      ["2026-02-01", 6500, 4, 1, 0, 0],
      ["2026-03-01", 3500, 2, 0, 2, 3000],
      ["2026-04-01", 3500, 2, 0, 0, 0],
    ]);
    const march = r.months[2]!;
    expect(march.logoChurn).toBeCloseTo(2 / 4, 12);
    expect(march.mrrChurn).toBeCloseTo(3000 / 6500, 12);
    expect(r.current).toEqual({ mrrMinor: 3500, active: 2, arpuMinor: 1750 });
    // January: 3 subscribers, all observed 2 full periods by April 15 (from Feb 1); alive after 1: 3, after 2: 2 (a
    // churned on its second renewal date: T = 2; b after it, mid-period: T = 3). February: observed 1 period.
    expect(r.cohorts[0]).toMatchObject({ cohort: "2026-01-01", size: 3, actual: [1, 1, 2 / 3] });
    expect(r.cohorts[1]).toMatchObject({ cohort: "2026-02-01", size: 1, actual: [1, 1] });
    // Two churns: a fit, flagged as rough.
    expect(r.fit).not.toBeNull();
    expect(r.warnings.join(" ")).toMatch(/Only 2 churned subscribers/);
  });

  it("recovers a known sBG from 12 monthly cohorts and prices a subscriber at ARPU × margin × DEL", async () => {
    const m = await createMerchant();
    const truth = { alpha: 1.5, beta: 6 };
    const at = utc(2026, 12, 20);
    const subs: Sub[] = [];
    // Cohorts January–December 2025, 600 each, starting on the 3rd; the expected number churns at each period (the
    // MLE of the expectation is the truth, up to rounding), the rest alive at the end of observation.
    for (let c = 0; c < 12; c++) {
      const start = utc(2025, c + 1, 3);
      const horizon = 12 - c + 11; // renewals seen by Dec 20, 2026
      let left = 600;
      for (let t = 1; t <= horizon; t++) {
        const churns = Math.round(600 * (survival(truth, t - 1) - survival(truth, t)));
        const end = new Date(Date.UTC(2025, c + t - 1, 18, 12)); // mid-period: T = t
        for (let i = 0; i < churns; i++) subs.push({ id: `c${c}t${t}i${i}`, start, end, mrr: 1000 });
        left -= churns;
      }
      for (let i = 0; i < left; i++) subs.push({ id: `c${c}a${i}`, start, mrr: 1000 });
    }
    await seed(m.id, subs);
    await withTenant(testDb(), m.id, (trx) =>
      saveCltvSettings(trx, m.id, { type: "system", id: null }, { grossMarginBps: 8000, acquisitionCostMinor: 0, retentionCostMinorPerYear: 0, annualDiscountRateBps: 1000 }),
    );
    const r = await report(m.id, at);
    expect(r.fit!.alpha).toBeCloseTo(truth.alpha, 1);
    expect(r.fit!.beta).toBeCloseTo(truth.beta, 0);
    expect(r.fit!.subscribers).toBe(7200);
    // Actual cohort curves follow the fitted S(k).
    const first = r.cohorts[0]!;
    for (let k = 0; k < first.actual.length; k++) expect(Math.abs(first.actual[k]! - first.fitted![k]!)).toBeLessThan(0.01);
    // CLTV: every subscriber pays $10 a month.
    const del = discountedExpectedLifetime({ alpha: r.fit!.alpha, beta: r.fit!.beta }, periodDiscountRate(0.1, 12));
    expect(r.current.arpuMinor).toBe(1000);
    expect(r.cltvMinor).toBe(Math.round(1000 * 0.8 * del));
    expect(r.discountedLifetimeMonths).toBeCloseTo(del, 10);
    // The truth's DEL is within 3% of the fit's.
    expect(del / discountedExpectedLifetime(truth, periodDiscountRate(0.1, 12))).toBeCloseTo(1, 1);
    expect(r.residualValueMinor).toBeGreaterThan(0);

    // The same figures over the API (reports:read) and on the admin page (an analyst may read it).
    const key = (await createKey(m.id, ["reports:read"])).token;
    const res = await api("GET", "/api/v1/subscriptions/summary", { token: key });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ currency: "USD", has_subscriptions: true, active_subscribers: r.current.active, subscription_cltv_minor: r.cltvMinor, sbg: { subscribers: 7200 } });
    expect(res.json.sbg.alpha).toBeCloseTo(r.fit!.alpha, 6);
    expect((await api("GET", "/api/v1/subscriptions/summary", { token: (await createKey(m.id, ["members:read"])).token })).status).toBe(403);
    const staff = await createStaff(m.id, "analyst");
    const slug = (await testDb().selectFrom("merchants").select("slug").where("id", "=", m.id).executeTakeFirstOrThrow()).slug;
    const page = await pageLoader({ request: getRequest(`/admin/${slug}/subscriptions`, staff.cookie), params: { merchant: slug }, context: {} });
    const html = renderToStaticMarkup(createElement(SubscriptionReportView, { report: page.report, currency: page.report.currency }));
    expect(html).toContain(`α = ${r.fit!.alpha.toFixed(3)}`);
    expect(html).toContain("Subscription CLTV");
  });

  it("per arm of a holdout: the sBG of each arm on subscriptions started after assignment, and the DEL difference with its interval", async () => {
    const m = await createMerchant();
    const truth = { treatment: { alpha: 1, beta: 6 }, control: { alpha: 1, beta: 3 } };
    const assignedAt = utc(2025, 1, 1, 0);
    const at = utc(2026, 1, 20);
    const experiment = await withTenant(testDb(), m.id, (trx) => createExperiment(trx, m.id, { kind: "loyalty_program", name: "Loyalty holdout", holdoutBps: 5000 }));
    const subs: Sub[] = [];
    const assignments: { member: string; arm: string }[] = [];
    for (const arm of ["treatment", "control"] as const) {
      // Six cohorts of 300 per arm (expected churn counts of the arm's truth), each subscriber a member of that arm.
      for (let c = 0; c < 6; c++) {
        const start = utc(2025, c + 1, 3);
        const horizon = 12 - c; // renewals seen by Jan 20, 2026
        const lives: { end: Date | null }[] = [];
        let left = 300;
        for (let t = 1; t <= horizon; t++) {
          const churns = Math.round(300 * (survival(truth[arm], t - 1) - survival(truth[arm], t)));
          for (let i = 0; i < churns; i++) lives.push({ end: new Date(Date.UTC(2025, c + t - 1, 18, 12)) });
          left -= churns;
        }
        for (let i = 0; i < left; i++) lives.push({ end: null });
        const ids = await insertMembers(m.id, lives.map((_, i) => ({ email: `${arm}-${c}-${i}@example.com` })));
        lives.forEach((l, i) => {
          subs.push({ id: `${arm}${c}_${i}`, start, end: l.end, mrr: 1000, memberId: ids[i] });
          assignments.push({ member: ids[i]!, arm });
        });
      }
    }
    // Control members who subscribed before assignment and all left at once: not the program's doing, left out.
    const early = await insertMembers(m.id, Array.from({ length: 200 }, (_, i) => ({ email: `early-${i}@example.com` })));
    early.forEach((id, i) => {
      subs.push({ id: `early_${i}`, start: utc(2024, 11, 3), end: utc(2024, 11, 20), mrr: 1000, memberId: id });
      assignments.push({ member: id, arm: "control" });
    });
    await seed(m.id, subs);
    await withTenant(testDb(), m.id, (trx) =>
      trx
        .insertInto("experiment_assignments")
        .values(assignments.map((a) => ({ merchant_id: m.id, experiment_id: experiment.id, member_id: a.member, arm: a.arm, source: "random" as const, assigned_at: assignedAt })))
        .execute(),
    );
    const r = await withTenant(testDb(), m.id, (trx) => subscriptionRetentionByArm(trx, m.id, experiment.id, { at }));
    const arm = (name: string) => r.arms.find((a) => a.arm === name)!;
    expect(arm("treatment").subscribers).toBe(1800);
    expect(arm("control").subscribers).toBe(1800);
    expect(arm("treatment").fit!.beta).toBeCloseTo(6, 0);
    expect(arm("control").fit!.beta).toBeCloseTo(3, 0);
    const d = periodDiscountRate(0.1, 12);
    const trueDifference = discountedExpectedLifetime(truth.treatment, d) - discountedExpectedLifetime(truth.control, d);
    expect(r.delDifference!.lower).toBeLessThan(trueDifference);
    expect(r.delDifference!.upper).toBeGreaterThan(trueDifference);
    expect(r.delDifference!.lower).toBeGreaterThan(0);
    expect(arm("treatment").survival![12]).toBeGreaterThan(arm("control").survival![12]);
  });
});
