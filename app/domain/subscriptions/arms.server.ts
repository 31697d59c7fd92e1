import { sql } from "kysely";
import type { Trx } from "~/db.server";
import { getCltvSettings } from "~/domain/cltv/settings.server";
import { CONTROL, TREATMENT } from "~/domain/experiments/assignment.server";
import { now } from "~/lib/clock.server";
import { compareArms, type ArmComparison } from "./arms";
import { NEVER_STARTED_STATUSES } from "./plan";
import { periodDiscountRate } from "./sbg";
import type { LifeRow } from "./summary";
import { FULL_MONTHS, PERIODS } from "./summary.server";

/**
 * Subscription retention per arm of a holdout experiment (issue 16 §5): the subscriptions that assigned members started
 * on or after their assignment (earlier ones began before the program could act), churn periods as in the
 * subscription report, one set-based statement; then an sBG per arm (arms.ts). Intent to treat: every assigned
 * subscriber counts in their arm.
 */
export async function subscriptionRetentionByArm(trx: Trx, merchantId: string, experimentId: string, opts: { at?: Date } = {}): Promise<ArmComparison> {
  const at = opts.at ?? now();
  const r = await sql<{ arm: string; churned: boolean; periods: number; count: number; mrr_minor: number }>`
    with subs as (
      select a.arm,
             s.started_at at time zone 'UTC' as s,
             (case when s.ended_at <= ${at} then s.ended_at else ${at} end) at time zone 'UTC' as u,
             s.ended_at is not null and s.ended_at <= ${at} as churned,
             s.mrr_minor
      from subscriptions s
      join experiment_assignments a on a.merchant_id = s.merchant_id and a.member_id = s.member_id
      where s.merchant_id = ${merchantId} and a.merchant_id = ${merchantId} and a.experiment_id = ${experimentId}
        and s.started_at >= a.assigned_at and s.started_at <= ${at}
        and s.status <> all(${[...NEVER_STARTED_STATUSES, "trialing"]})
    ), spans as (
      select arm, s, u, churned, mrr_minor,
             ${FULL_MONTHS} as full_months
      from subs
    )
    select arm, churned,
           ${PERIODS} as periods,
           count(*)::int as count, sum(mrr_minor)::bigint as mrr_minor
    from spans
    group by 1, 2, 3`.execute(trx);
  const byArm = new Map<string, LifeRow[]>();
  for (const x of r.rows) {
    const row: LifeRow = { cohort: "", churned: x.churned, periods: x.periods, count: x.count, mrrMinor: Number(x.mrr_minor) };
    byArm.set(x.arm, [...(byArm.get(x.arm) ?? []), row]);
  }
  const settings = await getCltvSettings(trx, merchantId);
  // DEL needs discounting; at a 0% setting the comparison uses 0.01% a year (effectively undiscounted), said in the README.
  const d = periodDiscountRate(Math.max(settings.annualDiscountRateBps, 1) / 10_000, 12);
  return compareArms(byArm, d, TREATMENT, CONTROL);
}
