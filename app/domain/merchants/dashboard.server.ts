import { sql } from "kysely";
import type { Trx } from "~/db.server";

/**
 * The admin dashboard's figures, from the data that exists today (members and orders). merchantDashboard computes
 * them from the raw tables (counts over every member); the page reads them from dashboard_summaries
 * (dashboardPage), which the summaries job refreshes every few minutes with merchantDashboard itself, so the page's
 * cost does not grow with the merchant and its figures are exactly those of the raw computation as of computed_at.
 */

export interface DashboardStats {
  members: { total: number; joinedLast30Days: number };
  /** Orders in the last 30 days; revenue counts orders in the merchant's currency only (amounts in minor units). */
  orders: { countLast30Days: number; revenueLast30DaysMinor: number };
  /** Oldest first, 24 calendar months in the merchant's time zone, the current month last. */
  joinedPerMonth: Array<{ month: string; joined: number }>;
}

const DAY_MS = 86_400_000;

export async function merchantDashboard(
  trx: Trx,
  merchant: { id: string; currency: string; timezone: string },
  now: Date = new Date(),
): Promise<DashboardStats> {
  const since = new Date(now.getTime() - 30 * DAY_MS);

  const members = await sql<{ total: number; recent: number }>`
    select count(*)::int as total, count(*) filter (where created_at >= ${since})::int as recent
    from members where merchant_id = ${merchant.id} and status <> 'deleted'`.execute(trx);

  const orders = await sql<{ n: number; revenue: number }>`
    select count(*)::int as n, coalesce(sum(amount_minor) filter (where currency = ${merchant.currency}), 0)::bigint as revenue
    from orders where merchant_id = ${merchant.id} and occurred_at >= ${since} and occurred_at <= ${now}`.execute(trx);

  // One index range per month on members_created_idx, not a scan of every member.
  const months = await sql<{ month: string; joined: number }>`
    with bounds as (
      select generate_series(
        date_trunc('month', ${now}::timestamptz at time zone ${merchant.timezone}) - interval '23 months',
        date_trunc('month', ${now}::timestamptz at time zone ${merchant.timezone}),
        interval '1 month') as month
    )
    select to_char(b.month, 'YYYY-MM') as month,
           (select count(*)::int from members m
             where m.merchant_id = ${merchant.id} and m.status <> 'deleted'
               and m.created_at >= (b.month at time zone ${merchant.timezone})
               and m.created_at < ((b.month + interval '1 month') at time zone ${merchant.timezone})) as joined
    from bounds b order by b.month`.execute(trx);

  return {
    members: { total: members.rows[0]?.total ?? 0, joinedLast30Days: members.rows[0]?.recent ?? 0 },
    orders: { countLast30Days: orders.rows[0]?.n ?? 0, revenueLast30DaysMinor: orders.rows[0]?.revenue ?? 0 },
    joinedPerMonth: months.rows,
  };
}

/** What the figures were computed under: a row for another currency or time zone is not used. */
interface DashboardBasis {
  currency: string;
  timezone: string;
}

/** Recomputes the dashboard's figures at `at` and stores them. */
export async function refreshDashboardSummary(trx: Trx, merchant: { id: string; currency: string; timezone: string }, at: Date = new Date()): Promise<{ stats: DashboardStats; asOf: Date }> {
  const stats = await merchantDashboard(trx, merchant, at);
  const basis: DashboardBasis = { currency: merchant.currency, timezone: merchant.timezone };
  await sql`
    insert into dashboard_summaries as s (merchant_id, computed_at, basis, data)
    values (${merchant.id}, ${at}, ${JSON.stringify(basis)}::jsonb, ${JSON.stringify(stats)}::jsonb)
    on conflict (merchant_id) do update set computed_at = excluded.computed_at, basis = excluded.basis, data = excluded.data
    where s.computed_at <= excluded.computed_at`.execute(trx);
  return { stats, asOf: at };
}

/** The dashboard from its summary; computed (and stored) now when there is none yet or the settings changed. */
export async function dashboardPage(trx: Trx, merchant: { id: string; currency: string; timezone: string }): Promise<{ stats: DashboardStats; asOf: Date }> {
  const row = await trx.selectFrom("dashboard_summaries").select(["computed_at", "basis", "data"]).where("merchant_id", "=", merchant.id).executeTakeFirst();
  const basis = row?.basis as DashboardBasis | undefined;
  if (row && basis?.currency === merchant.currency && basis.timezone === merchant.timezone) return { stats: row.data as DashboardStats, asOf: row.computed_at };
  return refreshDashboardSummary(trx, merchant);
}
