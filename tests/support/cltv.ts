import { withTenant } from "~/db.server";
import { newId } from "~/lib/ids";
import { CDNOW_SAMPLE, readFixture } from "../fixtures";
import { testDb } from "./db";


/**
 * The CDNOW sample (2,357 customers, 6,919 orders, 1997-98) loaded as a merchant's members and orders (noon UTC), plus
 * two orders every fit must ignore: a fully refunded one and one in another currency.
 */
export async function loadCdnow(merchantId: string) {
  const lines = readFixture(CDNOW_SAMPLE).split("\n").filter((l) => l.trim());
  const members = new Map<string, string>();
  const orders = lines.map((line, i) => {
    const [customer, , ymd, , dollars] = line.trim().split(/\s+/);
    let memberId = members.get(customer!);
    if (!memberId) members.set(customer!, (memberId = newId("member")));
    const occurredAt = `${ymd!.slice(0, 4)}-${ymd!.slice(4, 6)}-${ymd!.slice(6, 8)}T12:00:00Z`;
    return { merchant_id: merchantId, id: newId("order"), member_id: memberId, source: "import" as const, external_order_id: `cdnow-${i}`, amount_minor: Math.round(Number(dollars) * 100), currency: "USD", occurred_at: occurredAt };
  });
  const memberRows = [...members].map(([customer, id]) => ({ merchant_id: merchantId, id, email: `cdnow-${customer}@example.com` }));
  const first = memberRows[0]!.id;
  // Must be ignored: a fully refunded order and one in another currency, each on a day the customer did not buy.
  const ignored = [
    { merchant_id: merchantId, id: newId("order"), member_id: first, source: "api" as const, external_order_id: "refunded", amount_minor: 5000, refunded_minor: 5000, currency: "USD", occurred_at: "1997-03-03T12:00:00Z" },
    { merchant_id: merchantId, id: newId("order"), member_id: first, source: "api" as const, external_order_id: "euro", amount_minor: 5000, currency: "EUR", occurred_at: "1997-04-04T12:00:00Z" },
  ];
  await withTenant(testDb(), merchantId, async (trx) => {
    for (let i = 0; i < memberRows.length; i += 1000) await trx.insertInto("members").values(memberRows.slice(i, i + 1000)).execute();
    for (let i = 0; i < orders.length; i += 1000) await trx.insertInto("orders").values(orders.slice(i, i + 1000)).execute();
    await trx.insertInto("orders").values(ignored).execute();
  });
  return { orders: orders.length, customers: members.size };
}
