import { withTenant, type Trx } from "../../app/db.server";
import { reconcileLedger } from "../../app/domain/points/balance.server";
import { DEFAULT_EARNING_RULES, EarningRulesSchema, type EarningRules } from "../../app/domain/points/rules";
import { newId } from "../../app/lib/ids";
import { testDb } from "./db";

/** A merchant (USD, UTC) with its own earning rules and helpers to make members, for ledger tests. */
export interface LedgerFixture {
  merchantId: string;
  tx<T>(fn: (trx: Trx) => Promise<T>): Promise<T>;
  newMember(opts?: { birthday?: string | null; name?: string | null }): Promise<string>;
  balance(memberId: string): Promise<{ available: number; pending: number; clawback_debt: number }>;
  reconcile(): Promise<Awaited<ReturnType<typeof reconcileLedger>>>;
}

export const SYSTEM = { type: "system" as const, id: "test" };

export async function ledgerFixture(overrides: Partial<EarningRules> = {}, merchant: { currency?: string; timezone?: string } = {}): Promise<LedgerFixture> {
  const db = testDb();
  const merchantId = newId("merchant");
  const slug = `ledger-${Math.random().toString(36).slice(2, 10)}`;
  await db
    .insertInto("merchants")
    .values({ id: merchantId, slug, name: `Ledger ${slug}`, currency: merchant.currency ?? "USD", timezone: merchant.timezone ?? "UTC" })
    .execute();
  const rules = EarningRulesSchema.parse({ ...DEFAULT_EARNING_RULES, pendingDays: 0, expiry: { mode: "never" }, ...overrides });
  const tx = <T>(fn: (trx: Trx) => Promise<T>) => withTenant(db, merchantId, fn);
  await tx((trx) => trx.insertInto("earning_rules").values({ merchant_id: merchantId, rules: JSON.stringify(rules) }).execute());
  let n = 0;
  return {
    merchantId,
    tx,
    async newMember(opts = {}) {
      const id = newId("member");
      n += 1;
      await tx((trx) =>
        trx
          .insertInto("members")
          .values({ merchant_id: merchantId, id, email: `m${n}-${id.slice(-6)}@ledger.test`, name: opts.name ?? null, birthday: opts.birthday ?? null })
          .execute(),
      );
      return id;
    },
    async balance(memberId) {
      const row = await tx((trx) =>
        trx.selectFrom("member_balances").select(["available", "pending", "clawback_debt"]).where("merchant_id", "=", merchantId).where("member_id", "=", memberId).executeTakeFirst(),
      );
      return row ?? { available: 0, pending: 0, clawback_debt: 0 };
    },
    reconcile: () => tx((trx) => reconcileLedger(trx, merchantId)),
  };
}
