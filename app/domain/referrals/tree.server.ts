import { CompiledQuery, sql, type QueryResult, type RawBuilder } from "kysely";
import { withBegin, writeBehind, type Trx } from "~/db.server";
import type { ReferralStatus } from "~db/schema";

/**
 * Tree queries over referral_nodes (see the 2026-11-22T2240 migration): paths restart every 64 levels at an anchor,
 * so a subtree is a btree range scan on its segment plus the anchors below it, and the ancestors are the labels of
 * at most depth/64 + 1 short paths. Both are one statement each, independent of how the tree is shaped.
 */

export interface Ancestor {
  memberId: string;
  /** 1 = the direct referrer, 2 = their referrer, … */
  level: number;
}

/** The member's referrers, nearest first, up to `maxDepth` levels (all when omitted). */
export async function ancestors(trx: Trx, merchantId: string, memberId: string, maxDepth?: number): Promise<Ancestor[]> {
  const limit = maxDepth ?? 1_000_000_000;
  if (limit < 1) return [];
  const head = await withoutJit(
    trx,
    sql<{ depth: number; nos: string[] }>`
      with recursive x as (
        select depth, anchor_no, seg_path from referral_nodes where merchant_id = ${merchantId} and member_id = ${memberId}
      ),
      segs as (
        select x.anchor_no, x.seg_path as path from x
        union all
        select a.parent_anchor_no, a.parent_seg_path
        from segs s join referral_nodes a on a.merchant_id = ${merchantId} and a.node_no = s.anchor_no
        where a.parent_seg_path is not null and a.depth - 1 >= (select depth from x) - ${limit}
      )
      select x.depth, array(select l.no from segs s cross join lateral unnest(string_to_array(s.path, '.')) l(no)) as nos from x`,
  );
  const x = head.rows[0];
  if (!x || x.depth === 0) return [];
  const { rows } = await sql<{ member_id: string; level: number }>`
    select member_id, (${x.depth}::int - depth) as level from referral_nodes
    where merchant_id = ${merchantId} and node_no = any(${x.nos}::bigint[]) and depth < ${x.depth}::int and depth >= ${x.depth}::int - ${limit}::int
    order by depth desc`.execute(trx);
  return rows.map((r) => ({ memberId: r.member_id, level: r.level }));
}

/**
 * Runs a recursive query with JIT off for the rest of the (short) transaction: PostgreSQL's row estimates for
 * recursive CTEs are far too high, which triggers JIT compilation costing more than the whole query (measured: 1.8 s
 * instead of 40 ms on PostgreSQL 15). JIT only changes speed, never results, so the local setting is not restored.
 * Inside a `withTenant` transaction the setting and the query go in one round trip (writeBehind + withBegin: the
 * query's parameters are sent as literals); elsewhere they are two statements, as before.
 */
async function withoutJit<R>(trx: Trx, query: RawBuilder<R>): Promise<QueryResult<R>> {
  await writeBehind(trx, CompiledQuery.raw("set local jit = off"));
  return trx.executeQuery(withBegin(query.compile(trx)));
}

export interface NetworkLevel {
  /** 1 = the member's direct referrals, 2 = theirs, … */
  level: number;
  count: number;
  revenueMinor: number;
  /** Sum of predicted CLTV where scored (36-month, else 12-month); null when nobody on the level is scored. */
  predictedMinor: number | null;
  /** Predicted where scored, revenue to date otherwise. */
  valueMinor: number;
}

export interface NetworkValue {
  memberId: string;
  own: { revenueMinor: number; predictedMinor: number | null; valueMinor: number };
  levels: NetworkLevel[];
  /** Members below (all levels). */
  size: number;
  /** Own value + every level's value. */
  totalMinor: number;
}

interface LevelRow {
  level: number;
  count: string | number;
  revenue: string | number;
  predicted: string | number | null;
  value: string | number;
}

/**
 * Aggregates the member's whole subtree by level: level 0 is the member. One statement: the member's segment range,
 * the anchors below (recursion over anchors only), and every node under those anchors. Paths hold only digits and
 * dots, so [p, p || '/') in collation "C" is exactly p and its descendants ('.' < '/' < '0'): one index range, read
 * index-only thanks to the covering index.
 */
async function subtreeLevels(trx: Trx, merchantId: string, memberId: string): Promise<LevelRow[]> {
  const head = await withoutJit(
    trx,
    sql<{ depth: number; seg_path: string; anchors: string[] }>`
      with recursive x as (
        select depth, seg_path from referral_nodes where merchant_id = ${merchantId} and member_id = ${memberId}
      ),
      anchors as (
        select a.node_no from referral_nodes a, x
        where a.merchant_id = ${merchantId} and a.parent_seg_path is not null
          and a.parent_seg_path >= x.seg_path and a.parent_seg_path < x.seg_path || '/'
        union all
        select a.node_no from anchors p join referral_nodes a on a.merchant_id = ${merchantId} and a.parent_anchor_no = p.node_no
      )
      select x.depth, x.seg_path, array(select node_no from anchors) as anchors from x`,
  );
  const x = head.rows[0];
  if (!x) return [];
  // Known values instead of CTE references: the planner sees the real range and the anchor count.
  const { rows } = await sql<LevelRow>`
    select (s.depth - ${x.depth}::int) as level, count(*) as count, sum(s.spend_minor) as revenue, sum(s.cltv_minor) as predicted,
      sum(coalesce(s.cltv_minor, s.spend_minor)) as value
    from (
      select depth, spend_minor, cltv_minor from referral_nodes
      where merchant_id = ${merchantId} and seg_path >= ${x.seg_path} and seg_path < ${`${x.seg_path}/`}
      union all
      select depth, spend_minor, cltv_minor from referral_nodes
      where merchant_id = ${merchantId} and anchor_no = any(${x.anchors}::bigint[])
    ) s
    group by 1 order by 1`.execute(trx);
  return rows;
}

const num = (v: string | number | null): number => (v === null ? 0 : Number(v));

/**
 * Network value: the member's own value plus everyone below, by level. A member's value is their predicted CLTV
 * when the CLTV model has scored them, their revenue to date (net of refunds) otherwise.
 */
export async function networkValue(trx: Trx, merchantId: string, memberId: string): Promise<NetworkValue> {
  const rows = await subtreeLevels(trx, merchantId, memberId);
  let own: NetworkValue["own"];
  if (rows[0]?.level === 0) {
    own = { revenueMinor: num(rows[0].revenue), predictedMinor: rows[0].predicted === null ? null : num(rows[0].predicted), valueMinor: num(rows[0].value) };
  } else {
    // Not in the tree (never referred and never referred anyone): their own stats only.
    const s = await trx
      .selectFrom("member_stats")
      .select(["lifetime_spend_minor", "cltv_36m_minor", "cltv_12m_minor"])
      .where("merchant_id", "=", merchantId)
      .where("member_id", "=", memberId)
      .executeTakeFirst();
    const predicted = s ? (s.cltv_36m_minor ?? s.cltv_12m_minor) : null;
    own = { revenueMinor: s?.lifetime_spend_minor ?? 0, predictedMinor: predicted, valueMinor: predicted ?? s?.lifetime_spend_minor ?? 0 };
  }
  const levels = rows
    .filter((r) => r.level > 0)
    .map((r) => ({
      level: r.level,
      count: num(r.count),
      revenueMinor: num(r.revenue),
      predictedMinor: r.predicted === null ? null : num(r.predicted),
      valueMinor: num(r.value),
    }));
  return {
    memberId,
    own,
    levels,
    size: levels.reduce((s, l) => s + l.count, 0),
    totalMinor: own.valueMinor + levels.reduce((s, l) => s + l.valueMinor, 0),
  };
}

export interface TreeNode {
  memberId: string;
  name: string | null;
  email: string;
  /** The referral's status (null for a root: nobody referred them). */
  status: ReferralStatus | null;
  reasons: string[];
  revenueMinor: number;
  /** Direct referrals of this node (for the expand control). */
  childCount: number;
  via: string | null;
  referredAt: Date | null;
}

export interface TreePage {
  parent: TreeNode | null;
  children: TreeNode[];
  /** Pass as `after` for the next page; null on the last page. */
  nextCursor: string | null;
}

const TREE_PAGE_MAX = 100;

/**
 * One node and a page of its direct children (newest referral first) for the admin tree view: status, revenue,
 * fraud reasons and how many children each has. Cursor: the last child's member id (ids are random, so children are
 * ordered by referral time then id).
 */
export async function subtreePage(
  trx: Trx,
  merchantId: string,
  memberId: string,
  opts: { limit?: number; after?: string | null } = {},
): Promise<TreePage> {
  const limit = Math.min(Math.max(opts.limit ?? 50, 1), TREE_PAGE_MAX);
  const nodeQuery = (ids: "parent" | "children") =>
    trx
      .selectFrom("members as m")
      .leftJoin("referrals as r", (j) => j.onRef("r.merchant_id", "=", "m.merchant_id").onRef("r.member_id", "=", "m.id"))
      .leftJoin("referral_edges as e", (j) => j.onRef("e.merchant_id", "=", "m.merchant_id").onRef("e.member_id", "=", "m.id"))
      .leftJoin("member_stats as s", (j) => j.onRef("s.merchant_id", "=", "m.merchant_id").onRef("s.member_id", "=", "m.id"))
      .select([
        "m.id",
        "m.name",
        "m.email",
        "r.status",
        "r.reasons",
        "e.via",
        "e.created_at as referred_at",
        sql<number>`coalesce(s.lifetime_spend_minor, 0)`.as("revenue"),
        sql<number>`coalesce(s.referral_count, 0)`.as("child_count"),
      ])
      .where("m.merchant_id", "=", merchantId)
      .$if(ids === "parent", (q) => q.where("m.id", "=", memberId));
  const toNode = (r: {
    id: string;
    name: string | null;
    email: string;
    status: ReferralStatus | null;
    reasons: string[] | null;
    via: string | null;
    referred_at: Date | null;
    revenue: number;
    child_count: number;
  }): TreeNode => ({
    memberId: r.id,
    name: r.name,
    email: r.email,
    status: r.status,
    reasons: r.reasons ?? [],
    revenueMinor: Number(r.revenue),
    childCount: Number(r.child_count),
    via: r.via,
    referredAt: r.referred_at,
  });
  const parent = await nodeQuery("parent").executeTakeFirst();
  if (!parent) return { parent: null, children: [], nextCursor: null };
  let q = nodeQuery("children").where("e.referrer_id", "=", memberId);
  if (opts.after) {
    const cursor = await trx
      .selectFrom("referral_edges")
      .select("created_at")
      .where("merchant_id", "=", merchantId)
      .where("member_id", "=", opts.after)
      .where("referrer_id", "=", memberId)
      .executeTakeFirst();
    if (cursor) {
      q = q.where((eb) =>
        eb.or([eb("e.created_at", "<", cursor.created_at), eb.and([eb("e.created_at", "=", cursor.created_at), eb("m.id", "<", opts.after!)])]),
      );
    }
  }
  const rows = await q.orderBy("e.created_at", "desc").orderBy("m.id", "desc").limit(limit + 1).execute();
  const children = rows.slice(0, limit).map(toNode);
  return { parent: toNode(parent), children, nextCursor: rows.length > limit ? children[children.length - 1]!.memberId : null };
}
