/**
 * Segment evaluation at 100,000 members: the one SQL query a rule compiles to (count and the id list that
 * assignMany draws from), for a simple rule, a nested rule touching every joined table, and a tag rule — each as the
 * median of 15 runs and as a ratio against a bare `count(*)` of the merchant's members measured in the same run.
 * Run through `npm run bench segments` (tests/bench/run.ts hands us a migrated database).
 */
import { sql } from "kysely";
import { createDb, db, withTenant, type DB } from "../../app/db.server";
import { segmentMemberIds } from "../../app/domain/segments/compile.server";
import type { Rule } from "../../app/domain/segments/rule";
import { countSegment } from "../../app/domain/segments/segments.server";
import { newId } from "../../app/lib/ids";
import { medianMs } from "./timing";

const MEMBERS = 100_000;
const RUNS = 15;
const WARMUP = 3;

const memberIdSql = (n: string) => `'mbr_' || substr(translate(md5(${n}::text || 'a') || md5(${n}::text || 'b'), '0189', 'wxyz'), 1, 26)`;

async function seed(app: DB, owner: DB): Promise<string> {
  const merchantId = newId("merchant");
  await app.insertInto("merchants").values({ id: merchantId, slug: `bench-${merchantId.slice(4, 14)}`, name: "Bench Co", currency: "USD", timezone: "UTC" }).execute();
  await withTenant(app, merchantId, async (trx) => {
    const m = `'${merchantId}'`;
    await sql
      .raw(
        `insert into members (merchant_id, id, email, status, birthday, created_at, updated_at)
         select ${m}, ${memberIdSql("i")}, 'user' || i || '@example.com',
                case when i % 100 < 3 then 'blocked' else 'active' end,
                date '1980-01-01' + (i % 9000), now() - (i % 1500) * interval '1 day', now()
         from generate_series(1, ${MEMBERS}) i`,
      )
      .execute(trx);
    await sql.raw(`insert into member_balances (merchant_id, member_id, available) select ${m}, ${memberIdSql("i")}, (i * 37) % 2000 from generate_series(1, ${MEMBERS}) i`).execute(trx);
    // 60% of members have orders and model scores.
    await sql
      .raw(
        `insert into member_stats (merchant_id, member_id, order_count, lifetime_spend_minor, first_order_at, last_order_at, referral_count, cltv_percentile, p_alive, at_risk, value_segment)
         select ${m}, ${memberIdSql("i")}, 1 + i % 12, (i * 131) % 500000, now() - (i % 900) * interval '1 day', now() - (i % 400) * interval '1 day', i % 4,
                (i * 7) % 101, ((i * 13) % 100) / 100.0, i % 5 = 0, case when i % 3 = 0 then 'top' when i % 3 = 1 then 'middle' else 'bottom' end
         from generate_series(1, ${MEMBERS}) i where i % 5 < 3`,
      )
      .execute(trx);
    await sql.raw(`insert into member_tags (merchant_id, member_id, tag) select ${m}, ${memberIdSql("i")}, 'vip' from generate_series(1, ${MEMBERS}) i where i % 10 = 0`).execute(trx);
    await sql.raw(`insert into member_tiers (merchant_id, member_id, tier_id) select ${m}, ${memberIdSql("i")}, 'tier_' || (i % 3) from generate_series(1, ${MEMBERS}) i where i % 2 = 0`).execute(trx);
  });
  for (const t of ["members", "member_stats", "member_balances", "member_tags", "member_tiers"]) await sql`analyze ${sql.table(t)}`.execute(owner);
  return merchantId;
}

const median = (fn: () => Promise<unknown>) => medianMs(fn, { runs: RUNS, warmup: WARMUP });

const RULES: Record<string, Rule> = {
  "orders >= 3": { type: "group", op: "all", conditions: [{ type: "condition", attribute: "order_count", operator: "gte", value: 3 }] },
  "lapsed high-value (nested, every table)": {
    type: "group",
    op: "all",
    conditions: [
      { type: "condition", attribute: "days_since_last_order", operator: "gte", value: 60 },
      { type: "condition", attribute: "points_balance", operator: "gte", value: 100 },
      {
        type: "group",
        op: "any",
        conditions: [
          { type: "condition", attribute: "cltv_percentile", operator: "gte", value: 80 },
          { type: "condition", attribute: "tags", operator: "has_any", value: ["vip"] },
          { type: "condition", attribute: "tier", operator: "in", value: ["tier_2"] },
        ],
      },
      { type: "condition", attribute: "birthday_month", operator: "in", value: [1, 2, 3, 4, 5, 6] },
    ],
  },
  "tag vip": { type: "group", op: "all", conditions: [{ type: "condition", attribute: "tags", operator: "has_any", value: ["vip"] }] },
};

export async function run(ownerUrl: string): Promise<void> {
  const app = db();
  const owner = createDb(ownerUrl, { role: null, max: 1 });
  try {
    const t0 = Date.now();
    const merchantId = await seed(app, owner);
    console.log(`seeded ${MEMBERS.toLocaleString("en-US")} members (stats, balances, tags, tiers) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const at = new Date();
    const baseline = await median(() =>
      withTenant(app, merchantId, (trx) => sql`select count(*) from members where merchant_id = ${merchantId}`.execute(trx)),
    );
    console.log(`baseline: count(*) of members: ${baseline.toFixed(1)} ms`);
    console.log("| rule | matching | count | ratio | id list | ratio |");
    console.log("|---|---:|---:|---:|---:|---:|");
    for (const [name, rule] of Object.entries(RULES)) {
      let n = 0;
      const count = await median(async () => {
        n = await withTenant(app, merchantId, (trx) => countSegment(trx, merchantId, rule, at));
      });
      const list = await median(() => withTenant(app, merchantId, (trx) => sql`${segmentMemberIds(merchantId, rule, at)}`.execute(trx)));
      console.log(`| ${name} | ${n.toLocaleString("en-US")} | ${count.toFixed(1)} ms | ${(count / baseline).toFixed(1)}× | ${list.toFixed(1)} ms | ${(list / baseline).toFixed(1)}× |`);
    }
  } finally {
    await owner.destroy();
  }
}
