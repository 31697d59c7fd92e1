import { sql } from "kysely";
import { now } from "~/lib/clock.server";
import type { Trx } from "~/db.server";
import type { LedgerAccount } from "~db/schema";
import { liabilityMinor, type EarningRules } from "./rules";
import { getEarningRules } from "./rules.server";
import type { ProgramStats } from "./types";

export type { ProgramStats };

/**
 * The program page's figures, derived from the ledger itself (entry sums per account), not from caches.
 * Signs follow the account comment in the ledger migration: merchant_issued goes negative as points are issued,
 * the sinks (redeemed, expired, adjusted) go positive, merchant_forgiven goes negative as debt is written off,
 * member_clawback is negative while a member owes points.
 */

export async function programStats(trx: Trx, merchantId: string): Promise<ProgramStats> {
  const figures = await programLedgerFigures(trx, merchantId);
  const merchant = await trx.selectFrom("merchants").select("currency").where("id", "=", merchantId).executeTakeFirstOrThrow();
  return programStatsFrom(figures, await getEarningRules(trx, merchantId), merchant.currency);
}

/** What programStats aggregates from the ledger (the part that grows with the merchant): entry sums per account, holders. */
export interface ProgramLedgerFigures {
  sums: Partial<Record<LedgerAccount, number>>;
  holders: number;
}

export async function programLedgerFigures(trx: Trx, merchantId: string): Promise<ProgramLedgerFigures> {
  const sums = await trx
    .selectFrom("ledger_entries")
    .select(["account", sql<number>`coalesce(sum(amount), 0)::bigint`.as("total")])
    .where("merchant_id", "=", merchantId)
    .groupBy("account")
    .execute();
  const holders = await trx
    .selectFrom("member_balances")
    .select(sql<number>`count(*)::int`.as("n"))
    .where("merchant_id", "=", merchantId)
    .where((eb) => eb.or([eb("available", ">", 0), eb("pending", ">", 0)]))
    .executeTakeFirstOrThrow();
  return { sums: Object.fromEntries(sums.map((r) => [r.account, Number(r.total)])), holders: holders.n };
}

/** The page's figures from the ledger's; the point value (liability) and currency are applied here, on read. */
export function programStatsFrom(figures: ProgramLedgerFigures, rules: EarningRules, currency: string): ProgramStats {
  const by = (account: LedgerAccount) => figures.sums[account] ?? 0;
  // `0 - x`, not `-x`: an empty ledger must read 0, not -0.
  const available = by("member_available");
  const pending = by("member_pending");
  const outstanding = available + pending;
  return {
    issued: 0 - by("merchant_issued"),
    redeemed: by("merchant_redeemed"),
    expired: by("merchant_expired"),
    adjustedOut: by("merchant_adjusted"),
    forgiven: 0 - by("merchant_forgiven"),
    outstanding,
    available,
    pending,
    clawbackDebt: 0 - by("member_clawback"),
    members: figures.holders,
    liabilityMinor: liabilityMinor(rules, outstanding),
    currency,
  };
}

export interface MonthlyFlow {
  /** 'YYYY-MM' in the merchant's time zone. */
  month: string;
  issued: number;
  redeemed: number;
  expired: number;
}

/**
 * Points issued, redeemed and expired per calendar month (merchant time zone), oldest first, the current month
 * last, by the journal's effective date (an imported order counts in the month it happened). Gross flows:
 * reversals are not netted off, so a busy refund month never shows a negative bar.
 */
export async function monthlyPointsFlow(
  trx: Trx,
  merchantId: string,
  months = 12,
  opts: { timezone?: string; at?: Date } = {},
): Promise<MonthlyFlow[]> {
  const n = Math.max(1, Math.min(120, Math.trunc(months)));
  const timezone =
    opts.timezone ?? (await trx.selectFrom("merchants").select("timezone").where("id", "=", merchantId).executeTakeFirstOrThrow()).timezone;
  const at = opts.at ?? now();
  const result = await sql<MonthlyFlow>`
    with bounds as (
      select m as month, (m at time zone ${timezone}) as starts, ((m + interval '1 month') at time zone ${timezone}) as ends
      from generate_series(
        date_trunc('month', ${at}::timestamptz at time zone ${timezone}) - make_interval(months => ${n - 1}),
        date_trunc('month', ${at}::timestamptz at time zone ${timezone}),
        interval '1 month') as m
    ),
    flows as (
      select j.effective_at, e.account, e.amount
      from ledger_entries e
      join ledger_journals j on j.merchant_id = e.merchant_id and j.id = e.journal_id
      where e.merchant_id = ${merchantId}
        and e.account in ('merchant_issued', 'merchant_redeemed', 'merchant_expired')
        and j.effective_at >= (select min(starts) from bounds)
        and j.effective_at < (select max(ends) from bounds)
    )
    select to_char(b.month, 'YYYY-MM') as month,
      coalesce(sum(-f.amount) filter (where f.account = 'merchant_issued' and f.amount < 0), 0)::bigint as issued,
      coalesce(sum(f.amount) filter (where f.account = 'merchant_redeemed' and f.amount > 0), 0)::bigint as redeemed,
      coalesce(sum(f.amount) filter (where f.account = 'merchant_expired' and f.amount > 0), 0)::bigint as expired
    from bounds b
    left join flows f on f.effective_at >= b.starts and f.effective_at < b.ends
    group by b.month
    order by b.month`.execute(trx);
  return result.rows;
}
