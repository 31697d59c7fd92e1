import { sql } from "kysely";
import type { Trx } from "~/db.server";

/**
 * A reward's tier restriction: the member's current tier (member_tiers.tier_id, which already reflects pins) must
 * rank at least as high as the reward's minimum tier. A removed minimum tier restricts nobody; a member without a
 * tier never qualifies. Read straight from the tiers tables so the check stays one query inside the redemption.
 */
export async function memberMeetsTier(trx: Trx, merchantId: string, memberId: string, minTierId: string): Promise<boolean> {
  const r = await sql<{ required: number | null; held: number | null }>`
    select
      (select rank from tiers where merchant_id = ${merchantId} and id = ${minTierId}) as required,
      (select t.rank from member_tiers mt join tiers t on t.merchant_id = mt.merchant_id and t.id = mt.tier_id
        where mt.merchant_id = ${merchantId} and mt.member_id = ${memberId}) as held`.execute(trx);
  const { required, held } = r.rows[0]!;
  if (required === null) return true;
  return held !== null && held >= required;
}

/**
 * `memberMeetsTier` for several minimum tiers at once, in one statement (the portal's catalog asked once per
 * tier-restricted reward): the ids among `minTierIds` the member meets.
 */
export async function tiersMemberMeets(trx: Trx, merchantId: string, memberId: string, minTierIds: string[]): Promise<Set<string>> {
  const ids = [...new Set(minTierIds)];
  if (!ids.length) return new Set();
  const { rows } = await sql<{ id: string; required: number | null; held: number | null }>`
    select w.id,
      (select rank from tiers where merchant_id = ${merchantId} and id = w.id) as required,
      (select t.rank from member_tiers mt join tiers t on t.merchant_id = mt.merchant_id and t.id = mt.tier_id
        where mt.merchant_id = ${merchantId} and mt.member_id = ${memberId}) as held
    from unnest(${ids}::text[]) as w(id)`.execute(trx);
  return new Set(rows.filter((r) => r.required === null || (r.held !== null && r.held >= r.required)).map((r) => r.id));
}

/** The merchant's tiers for the catalog editor's select (id, name, rank). */
export async function listTiers(trx: Trx, merchantId: string): Promise<Array<{ id: string; name: string; rank: number }>> {
  const r = await sql<{ id: string; name: string; rank: number }>`select id, name, rank from tiers where merchant_id = ${merchantId} order by rank`.execute(trx);
  return r.rows;
}
