/**
 * Referral tree at scale (issue 5): a 100,000-member subtree (a 4-ary tree, 9 levels) and a 10,000-deep chain in one
 * merchant. Medians of 20 runs for the ancestors of the chain's bottom, the network value (subtree aggregate by level)
 * of the chain's top and of the tree's root, next to a primary-key lookup measured in the same run (the baseline)
 * and the plain recursive CTE over referral_edges that the anchored paths replace. Target: each ≤ 100 ms median.
 * Run through `npm run bench referral-tree` (tests/bench/run.ts hands us a migrated database).
 */
import { sql } from "kysely";
import { createDb, db, withTenant, type DB } from "../../app/db.server";
import { ancestors, networkValue } from "../../app/domain/referrals/tree.server";
import { newId } from "../../app/lib/ids";
import { medianMs } from "./timing";

const TREE = 100_000;
const CHAIN = 10_000;
const RUNS = 20;
const WARMUP = 3;
const TARGET_MS = 100;

// Deterministic member ids of the real shape (mbr_ + 26 base32 chars).
const memberIdSql = (n: string) => `'mbr_' || substr(translate(md5((${n})::text || 'a') || md5((${n})::text || 'b'), '0189', 'wxyz'), 1, 26)`;

async function seed(app: DB, owner: DB): Promise<{ merchantId: string; root: string; chainTop: string; chainBottom: string; mid: string }> {
  const merchantId = newId("merchant");
  await app.insertInto("merchants").values({ id: merchantId, slug: `bench-${merchantId.slice(4, 14)}`, name: "Bench Co", currency: "USD", timezone: "UTC" }).execute();
  const last = TREE + CHAIN;
  await withTenant(app, merchantId, async (trx) => {
    await sql
      .raw(
        `insert into members (merchant_id, id, email) select '${merchantId}', ${memberIdSql("i")}, 'user' || i || '@example.com' from generate_series(0, ${last}) i`,
      )
      .execute(trx);
    await sql
      .raw(
        `insert into member_stats (merchant_id, member_id, order_count, lifetime_spend_minor, cltv_36m_minor)
         select '${merchantId}', ${memberIdSql("i")}, 1 + i % 5, 1000 + (i * 37) % 50000, case when i % 3 = 0 then 2000 + (i * 53) % 90000 end
         from generate_series(0, ${last}) i`,
      )
      .execute(trx);
    // Members 1..99,999 hang under (i-1)/4: a 4-ary tree rooted at member 0 (100,000 members). Parents first.
    await sql
      .raw(
        `insert into referral_edges (merchant_id, member_id, referrer_id, depth, via)
         select '${merchantId}', ${memberIdSql("i")}, ${memberIdSql("(i - 1) / 4")}, 1, 'api' from generate_series(1, ${TREE - 1}) i order by i`,
      )
      .execute(trx);
    // Members 100,000..110,000: a chain of 10,000 below member 100,000.
    await sql
      .raw(
        `insert into referral_edges (merchant_id, member_id, referrer_id, depth, via)
         select '${merchantId}', ${memberIdSql("i")}, ${memberIdSql("i - 1")}, 1, 'api' from generate_series(${TREE + 1}, ${last}) i order by i`,
      )
      .execute(trx);
  });
  for (const t of ["members", "member_stats", "referral_edges", "referral_nodes"]) await sql`vacuum analyze ${sql.table(t)}`.execute(owner);
  const ids = await sql<{ root: string; top: string; bottom: string; mid: string }>`
    select ${sql.raw(memberIdSql("0"))} as root, ${sql.raw(memberIdSql(String(TREE)))} as top, ${sql.raw(memberIdSql(String(last)))} as bottom,
      ${sql.raw(memberIdSql("1"))} as mid`.execute(owner);
  const r = ids.rows[0]!;
  return { merchantId, root: r.root, chainTop: r.top, chainBottom: r.bottom, mid: r.mid };
}

const median = (fn: () => Promise<unknown>) => medianMs(fn, { runs: RUNS, warmup: WARMUP });

export async function run(ownerUrl: string): Promise<void> {
  const app = db();
  const owner = createDb(ownerUrl, { role: null, max: 1 });
  try {
    const t0 = Date.now();
    const s = await seed(app, owner);
    console.log(`seeded a ${TREE.toLocaleString("en-US")}-member tree and a ${CHAIN.toLocaleString("en-US")}-deep chain in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const t = <T>(fn: (trx: Parameters<Parameters<typeof withTenant>[2]>[0]) => Promise<T>) => () => withTenant(app, s.merchantId, fn);

    // Sanity: the answers are the right size before anything is timed.
    const up = await t((trx) => ancestors(trx, s.merchantId, s.chainBottom))();
    const chainNet = await t((trx) => networkValue(trx, s.merchantId, s.chainTop))();
    const treeNet = await t((trx) => networkValue(trx, s.merchantId, s.root))();
    if (up.length !== CHAIN || chainNet.size !== CHAIN || treeNet.size !== TREE - 1) {
      throw new Error(`wrong sizes: ancestors ${up.length}, chain subtree ${chainNet.size}, tree subtree ${treeNet.size}`);
    }

    const baseline = await median(t((trx) => sql`select * from members where merchant_id = ${s.merchantId} and id = ${s.root}`.execute(trx)));
    const cases: Array<[string, () => Promise<unknown>, boolean]> = [
      ["ancestors of the bottom of the 10,000 chain", t((trx) => ancestors(trx, s.merchantId, s.chainBottom)), true],
      ["ancestors, 3 levels (reward payout)", t((trx) => ancestors(trx, s.merchantId, s.chainBottom, 3)), false],
      ["network value of the chain's top (10,000 below, 10,000 levels)", t((trx) => networkValue(trx, s.merchantId, s.chainTop)), true],
      ["network value of the tree's root (99,999 below)", t((trx) => networkValue(trx, s.merchantId, s.root)), true],
      ["network value of a level-1 member (~25,000 below)", t((trx) => networkValue(trx, s.merchantId, s.mid)), false],
      [
        "reference: recursive CTE over referral_edges, root's subtree sum",
        t((trx) =>
          sql`with recursive sub as (
                select member_id from referral_edges where merchant_id = ${s.merchantId} and referrer_id = ${s.root}
                union all
                select e.member_id from sub join referral_edges e on e.merchant_id = ${s.merchantId} and e.referrer_id = sub.member_id)
              select count(*), sum(ms.lifetime_spend_minor) from sub join member_stats ms on ms.merchant_id = ${s.merchantId} and ms.member_id = sub.member_id`.execute(trx),
        ),
        false,
      ],
    ];
    console.log(`baseline (primary-key lookup of one member): ${baseline.toFixed(3)} ms median of ${RUNS}`);
    console.log("| case | median ms | × baseline | target ≤ 100 ms |");
    console.log("|---|---:|---:|---|");
    for (const [name, fn, targeted] of cases) {
      const ms = await median(fn);
      console.log(`| ${name} | ${ms.toFixed(2)} | ${(ms / baseline).toFixed(0)}× | ${targeted ? (ms <= TARGET_MS ? "met" : "MISSED") : "—"} |`);
    }
  } finally {
    await owner.destroy();
  }
}
