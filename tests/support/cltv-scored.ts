import { withTenant } from "~/db.server";
import { fitAndScoreMerchant } from "~/domain/cltv/score.server";
import { newId } from "~/lib/ids";
import { createMerchant } from "./admin";
import { syntheticCustomers } from "./cltv-synthetic";
import { testDb } from "./db";

/**
 * A merchant whose CLTV model has been fitted and has scored its members: `customers` seeded BG/NBD customers
 * (tests/support/cltv-synthetic.ts, orders 2024-01-01 … 2025-12-30) as members with orders, fitted and scored as of
 * 2025-12-31, plus one member without orders (never scored). The first scored members get names that CSV must
 * escape. With `fit: false` nothing is fitted (no model).
 */
export const TRICKY_NAMES = ['Doe, "Jane"', "=HYPERLINK(\"http://evil.example\")", "Line\nBreak", "O'Brien"] as const;

export async function scoredMerchant(opts: { customers?: number; seed?: number; currency?: string; fit?: boolean } = {}) {
  const merchant = await createMerchant({ currency: opts.currency ?? "USD", timezone: "UTC" });
  const { transactions } = syntheticCustomers(opts.customers ?? 120, opts.seed ?? 7);
  const memberOf = new Map<string, string>();
  for (const t of transactions) if (!memberOf.has(t.customerId)) memberOf.set(t.customerId, newId("member"));
  const memberIds = [...memberOf.values()];
  const members = memberIds.map((id, i) => ({
    merchant_id: merchant.id,
    id,
    email: `cltv-${i}-${id.slice(-6)}@example.com`,
    name: TRICKY_NAMES[i] ?? (i % 3 === 0 ? null : `Customer ${i}`),
    external_id: `cus_${i}`,
  }));
  const orders = transactions.map((t, i) => ({
    merchant_id: merchant.id,
    id: newId("order"),
    member_id: memberOf.get(t.customerId)!,
    source: "import" as const,
    external_order_id: `syn-${i}`,
    amount_minor: Math.round(t.amount * 100),
    currency: opts.currency ?? "USD",
    occurred_at: `${t.date}T12:00:00Z`,
  }));
  const unscoredId = newId("member");
  await withTenant(testDb(), merchant.id, async (trx) => {
    for (let i = 0; i < members.length; i += 1000) await trx.insertInto("members").values(members.slice(i, i + 1000)).execute();
    for (let i = 0; i < orders.length; i += 1000) await trx.insertInto("orders").values(orders.slice(i, i + 1000)).execute();
    await trx.insertInto("members").values({ merchant_id: merchant.id, id: unscoredId, email: `no-orders-${unscoredId.slice(-6)}@example.com`, name: "No Orders" }).execute();
  });
  const modelId =
    opts.fit === false ? null : (await withTenant(testDb(), merchant.id, (trx) => fitAndScoreMerchant(trx, merchant.id, { at: new Date("2025-12-31T12:00:00Z") }))).modelId;
  return { merchant, memberIds, unscoredId, modelId, tx: <T>(fn: Parameters<typeof withTenant<T>>[2]) => withTenant(testDb(), merchant.id, fn) };
}
