import { beforeAll, describe, expect, it } from "vitest";
import { checkClientStatement, checkFunction, functionFromDefinition, loadParser } from "./analyze";
import { fixtureCatalog } from "./catalog-fixture";
import type { TriggerInfo } from "./catalog";

/**
 * The checker against the five patterns of issue 15, each a snippet copied from the migrations and the domain as
 * they stand (git HEAD when this was written), and the compliant rewrites each must accept.
 */

beforeAll(loadParser);

const rulesOf = (vs: Array<{ rule: string }>) => [...new Set(vs.map((v) => v.rule))].sort();

function fn(definition: string, triggers: TriggerInfo[] = []) {
  const info = functionFromDefinition(definition);
  return checkFunction(info, fixtureCatalog(triggers), triggers);
}

const rowTrigger = (table: string, f: string): TriggerInfo => ({ name: `${table}_${f}`, table, function: f, row: true, newTable: null, oldTable: null });

// ---- 1. experiment_facts_add_event: a STABLE expression over a column in an UPDATE ---------------------------------
// db/migrations/2026-11-23T0100_experiment_member_facts.ts (ADD_EVENT, with monthOf as written there).
const MONTH_SECS = 2629800;
const monthOf = (at: string) => `floor(extract(epoch from (${at} - a.assigned_at)) / ${MONTH_SECS})::int`;
const ADD_EVENT = `
  create function experiment_facts_add_event(
    p_merchant_id text, p_member_id text, p_at timestamptz, p_sign integer,
    p_revenue bigint, p_points bigint, p_rewards bigint
  ) returns void language plpgsql as $$
  begin
    update experiment_member_facts a set
      revenue_minor = a.revenue_minor + case when p_at >= a.assigned_at then p_sign * p_revenue else 0 end,
      pre_spend_minor = a.pre_spend_minor + case when p_at < a.assigned_at then p_sign * p_revenue else 0 end,
      points_redeemed = a.points_redeemed + case when p_at >= a.assigned_at then p_sign * p_points else 0 end,
      rewards_minor = a.rewards_minor + case when p_at >= a.assigned_at then p_sign * p_rewards else 0 end
    where a.merchant_id = p_merchant_id and a.member_id = p_member_id
      and p_at >= a.assigned_at - case when p_revenue <> 0 then interval '365 days' else interval '0' end;
    if not found then
      return;
    end if;
    insert into experiment_member_months as m (merchant_id, experiment_id, member_id, k, arm, revenue_minor, points_redeemed, rewards_minor, events)
    select a.merchant_id, a.experiment_id, a.member_id, ${monthOf("p_at")}, a.arm,
      p_sign * p_revenue, p_sign * p_points, p_sign * p_rewards, p_sign
    from experiment_member_facts a
    where a.merchant_id = p_merchant_id and a.member_id = p_member_id and p_at >= a.assigned_at
    on conflict (merchant_id, experiment_id, member_id, k) do update set
      revenue_minor = m.revenue_minor + excluded.revenue_minor,
      points_redeemed = m.points_redeemed + excluded.points_redeemed,
      rewards_minor = m.rewards_minor + excluded.rewards_minor,
      events = m.events + excluded.events;
  end $$`;

describe("STABLE expressions with column references in UPDATE", () => {
  it("catches experiment_facts_add_event's assigned_at - interval (timestamptz - interval is STABLE)", () => {
    const vs = fn(ADD_EVENT);
    expect(rulesOf(vs)).toEqual(["mutable-in-update"]);
    expect(vs[0]!.message).toMatch(/STABLE operator timestamp with time zone - interval over column references in UPDATE WHERE/);
  });

  it("accepts the interval moved to the parameter's side (p_at + interval has no column: evaluated once)", () => {
    const fixed = ADD_EVENT.replace(
      "p_at >= a.assigned_at - case when p_revenue <> 0 then interval '365 days' else interval '0' end",
      "a.assigned_at <= p_at + case when p_revenue <> 0 then interval '365 days' else interval '0' end",
    );
    expect(fixed).not.toBe(ADD_EVENT);
    expect(fn(fixed)).toEqual([]);
  });

  it("catches now() over a column, VOLATILE calls and STABLE casts of columns in UPDATE SET", () => {
    const cat = fixtureCatalog();
    expect(rulesOf(checkClientStatement("update orders set occurred_at = occurred_at + interval '1 day' where merchant_id = $1", cat))).toEqual(["mutable-in-update"]);
    expect(rulesOf(checkClientStatement("update member_stats set cltv_12m_minor = (random() * 10)::bigint where merchant_id = $1", cat))).toEqual(["mutable-in-update"]);
    expect(rulesOf(checkClientStatement("update orders set card_fingerprint = occurred_at::text where merchant_id = $1", cat))).toEqual(["mutable-in-update"]);
    // now() alone, or now() - interval: no column, Citus evaluates it on the coordinator.
    expect(checkClientStatement("update member_stats set updated_at = now() where merchant_id = $1 and member_id = $2", cat)).toEqual([]);
    expect(checkClientStatement("update orders set occurred_at = $3::timestamptz - interval '1 day' where merchant_id = $1 and id = $2", cat)).toEqual([]);
  });
});

// ---- 2. now() in ON CONFLICT DO UPDATE SET: the member_stats triggers ---------------------------------------------
// db/migrations/2026-11-22T2200_experiments_stats_referrals.ts
const MEMBER_STATS_ON_ORDER = `
    create function member_stats_on_order() returns trigger language plpgsql as $$
    begin
      if tg_op = 'INSERT' then
        insert into member_stats as s (merchant_id, member_id, order_count, lifetime_spend_minor, first_order_at, last_order_at)
        values (new.merchant_id, new.member_id, 1, new.amount_minor - new.refunded_minor, new.occurred_at, new.occurred_at)
        on conflict (merchant_id, member_id) do update set
          order_count = s.order_count + 1,
          lifetime_spend_minor = s.lifetime_spend_minor + excluded.lifetime_spend_minor,
          first_order_at = least(s.first_order_at, excluded.first_order_at),
          last_order_at = greatest(s.last_order_at, excluded.last_order_at),
          updated_at = now();
      elsif tg_op = 'UPDATE' then
        if (new.amount_minor - new.refunded_minor) <> (old.amount_minor - old.refunded_minor) then
          update member_stats set
            lifetime_spend_minor = lifetime_spend_minor + (new.amount_minor - new.refunded_minor) - (old.amount_minor - old.refunded_minor),
            updated_at = now()
          where merchant_id = new.merchant_id and member_id = new.member_id;
        end if;
      end if;
      return null;
    end $$`;
const MEMBER_STATS_ON_REFERRAL = `
    create function member_stats_on_referral() returns trigger language plpgsql as $$
    begin
      if tg_op = 'INSERT' then
        insert into member_stats as s (merchant_id, member_id, referral_count) values (new.merchant_id, new.referrer_id, 1)
        on conflict (merchant_id, member_id) do update set referral_count = s.referral_count + 1, updated_at = now();
      elsif tg_op = 'DELETE' or new.referrer_id <> old.referrer_id then
        update member_stats set referral_count = referral_count - 1, updated_at = now()
          where merchant_id = old.merchant_id and member_id = old.referrer_id;
        if tg_op = 'UPDATE' then
          insert into member_stats as s (merchant_id, member_id, referral_count) values (new.merchant_id, new.referrer_id, 1)
          on conflict (merchant_id, member_id) do update set referral_count = s.referral_count + 1, updated_at = now();
        end if;
      end if;
      return null;
    end $$`;

describe("non-IMMUTABLE functions in ON CONFLICT DO UPDATE", () => {
  it("catches now() in the member_stats triggers' upserts (the plain UPDATE's now() is allowed)", () => {
    for (const [def, table] of [
      [MEMBER_STATS_ON_ORDER, "orders"],
      [MEMBER_STATS_ON_REFERRAL, "referral_edges"],
    ] as const) {
      const name = functionFromDefinition(def).name;
      const vs = fn(def, [rowTrigger(table, name)]);
      expect(rulesOf(vs)).toEqual(["mutable-in-on-conflict"]);
      expect(vs.every((v) => /STABLE now\(\) in ON CONFLICT DO UPDATE SET updated_at/.test(v.message))).toBe(true);
    }
  });

  it("accepts the value taken from the inserted row (excluded.updated_at, set by the column default)", () => {
    const fixed = MEMBER_STATS_ON_ORDER.replace("updated_at = now();", "updated_at = excluded.updated_at;");
    expect(fn(fixed, [rowTrigger("orders", "member_stats_on_order")])).toEqual([]);
  });
});

// ---- 3. the statement-level trigger with a transition table joined to other tables --------------------------------
// db/migrations/2026-11-23T0100_experiment_member_facts.ts (fillNewSql("new_assignments"), first statement).
function fillNewSql(source: string): string {
  const a = `a as (select merchant_id, experiment_id, member_id, arm, assigned_at from ${source})`;
  return `
    with ${a}
    insert into experiment_member_facts
      (merchant_id, experiment_id, member_id, arm, assigned_at, revenue_minor, pre_spend_minor, points_redeemed, rewards_minor, predicted_minor, joined)
    select a.merchant_id, a.experiment_id, a.member_id, a.arm, a.assigned_at,
      coalesce(o.y, 0), coalesce(o.x, 0), coalesce(p.points, 0), coalesce(g.rewards, 0),
      (select s.cltv_12m_minor from member_stats s where s.merchant_id = a.merchant_id and s.member_id = a.member_id),
      exists (select 1 from experiment_events e
              where e.merchant_id = a.merchant_id and e.experiment_id = a.experiment_id and e.member_id = a.member_id and e.kind in ('joined', 'claimed'))
    from a
    cross join lateral (
      select sum(o.amount_minor - o.refunded_minor) filter (where o.occurred_at >= a.assigned_at) as y,
             sum(o.amount_minor - o.refunded_minor) filter (where o.occurred_at < a.assigned_at) as x
      from orders o
      where o.merchant_id = a.merchant_id and o.member_id = a.member_id and o.occurred_at >= a.assigned_at - interval '365 days'
    ) o
    cross join lateral (
      select sum(-j.points) as points from ledger_journals j
      where j.merchant_id = a.merchant_id and j.member_id = a.member_id and j.kind = 'spend' and j.effective_at >= a.assigned_at
    ) p
    cross join lateral (
      select sum(coalesce(r.discount_minor, 0)) as rewards from reward_redemptions r
      where r.merchant_id = a.merchant_id and r.member_id = a.member_id and r.points_spent = 0 and r.status <> 'void' and r.created_at >= a.assigned_at
    ) g;`;
}
const ON_ASSIGN = `create function experiment_facts_on_assign() returns trigger language plpgsql as $$
      begin
        ${fillNewSql("new_assignments")}
        return null;
      end $$`;
const assignTrigger: TriggerInfo = {
  name: "experiment_assignments_facts",
  table: "experiment_assignments",
  function: "experiment_facts_on_assign",
  row: false,
  newTable: "new_assignments",
  oldTable: null,
};

describe("statement-level triggers with transition tables", () => {
  it("catches experiment_facts_on_assign joining new_assignments to orders, ledger_journals and reward_redemptions", () => {
    const vs = fn(ON_ASSIGN, [assignTrigger]);
    expect(rulesOf(vs)).toEqual(["tenant-filter", "transition-table-trigger"]);
    const t = vs.find((v) => v.rule === "transition-table-trigger")!;
    for (const table of ["orders", "ledger_journals", "reward_redemptions"]) expect(t.message).toContain(table);
    // Each joined tenant table is unpinned: the transition table's merchant_id is any merchant's.
    const unpinned = vs.filter((v) => v.rule === "tenant-filter").map((v) => v.message);
    for (const table of ["orders", "ledger_journals", "reward_redemptions", "member_stats", "experiment_events", "experiment_member_facts"])
      expect(unpinned.some((m) => m.includes(` ${table}`))).toBe(true);
  });

  it("accepts the same fill as a row-level trigger on the row's own merchant", () => {
    const rowFill = ON_ASSIGN.replace(
      "a as (select merchant_id, experiment_id, member_id, arm, assigned_at from new_assignments)",
      "a as (select new.merchant_id as merchant_id, new.experiment_id as experiment_id, new.member_id as member_id, new.arm as arm, new.assigned_at as assigned_at)",
    );
    const vs = fn(rowFill, [{ ...assignTrigger, row: true, newTable: null }]);
    // The operator in the lateral's WHERE is a SELECT's, not an UPDATE's: allowed.
    expect(vs).toEqual([]);
  });
});

// ---- 4. a sequence inside a trigger function: referral_node_attach (called by referral_edges' trigger) ------------
// db/migrations/2026-11-22T2240_referrals.ts
const NODE_ATTACH = `
    create function referral_node_attach(p_merchant text, p_member text, p_referrer text, p_leaf_only boolean default true)
      returns integer language plpgsql as $$
    declare
      k constant integer := 64;
      p referral_nodes;
      n bigint;
      d integer;
    begin
      if p_leaf_only and exists (select 1 from referral_edges e where e.merchant_id = p_merchant and e.referrer_id = p_member) then
        raise exception 'member % already refers others: only a member without referrals can be attached or moved', p_member
          using errcode = 'check_violation';
      end if;
      select * into p from referral_nodes where merchant_id = p_merchant and member_id = p_referrer;
      if not found then
        n := nextval('referral_node_seq');
        insert into referral_nodes (merchant_id, member_id, node_no, depth, anchor_no, seg_path, spend_minor, cltv_minor)
          select p_merchant, p_referrer, n, 0, n, n::text, coalesce(s.lifetime_spend_minor, 0), coalesce(s.cltv_36m_minor, s.cltv_12m_minor)
          from (select 1) one
          left join member_stats s on s.merchant_id = p_merchant and s.member_id = p_referrer
          returning * into p;
      end if;
      d := p.depth + 1;
      select node_no into n from referral_nodes where merchant_id = p_merchant and member_id = p_member;
      if n is null then n := nextval('referral_node_seq'); end if;
      insert into referral_nodes as r (merchant_id, member_id, node_no, depth, anchor_no, seg_path, parent_seg_path, parent_anchor_no,
          spend_minor, cltv_minor)
        select
          p_merchant, p_member, n, d,
          case when d % k = 0 then n else p.anchor_no end,
          case when d % k = 0 then n::text else p.seg_path || '.' || n end,
          case when d % k = 0 then p.seg_path end,
          case when d % k = 0 then p.anchor_no end,
          coalesce(s.lifetime_spend_minor, 0), coalesce(s.cltv_36m_minor, s.cltv_12m_minor)
        from (select 1) one
        left join member_stats s on s.merchant_id = p_merchant and s.member_id = p_member
        on conflict (merchant_id, member_id) do update set
          depth = excluded.depth, anchor_no = excluded.anchor_no, seg_path = excluded.seg_path,
          parent_seg_path = excluded.parent_seg_path, parent_anchor_no = excluded.parent_anchor_no;
      return d;
    end $$`;

describe("sequences inside functions", () => {
  it("catches nextval('referral_node_seq') in referral_node_attach, and nothing else there", () => {
    const vs = fn(NODE_ATTACH);
    expect(rulesOf(vs)).toEqual(["sequence-in-function"]);
    expect(vs[0]!.message).toContain("nextval('referral_node_seq')");
  });

  it("accepts a per-merchant counter instead (a row of the merchant's own shard)", () => {
    const fixed = NODE_ATTACH.replaceAll(
      "nextval('referral_node_seq')",
      "(select coalesce(max(node_no), 0) + 1 from referral_nodes where merchant_id = p_merchant)",
    );
    expect(fn(fixed)).toEqual([]);
  });
});

// ---- 5. a subquery inside INSERT … ON CONFLICT DO UPDATE: openReview ----------------------------------------------
// app/domain/referrals/fraud.server.ts, as Kysely's sql`` sends it (parameters numbered in order).
const OPEN_REVIEW = `
    insert into referral_reviews (merchant_id, id, referral_id, reasons, created_at)
    values ($1, $2, $3, $4::text[], $5)
    on conflict (merchant_id, referral_id) where status = 'open'
    do update set reasons = (select array_agg(distinct x) from unnest(referral_reviews.reasons || excluded.reasons) x)`;

describe("subqueries inside INSERT … ON CONFLICT DO UPDATE", () => {
  it("catches openReview's array_agg subquery", () => {
    const vs = checkClientStatement(OPEN_REVIEW, fixtureCatalog(), ["app/domain/referrals/fraud.server.ts:89"]);
    expect(rulesOf(vs)).toEqual(["subquery-in-on-conflict"]);
    expect(vs[0]!.where).toBe("app/domain/referrals/fraud.server.ts:89");
  });

  it("accepts the merge written without a subquery", () => {
    const fixed = OPEN_REVIEW.replace(
      "(select array_agg(distinct x) from unnest(referral_reviews.reasons || excluded.reasons) x)",
      "referral_reviews.reasons || excluded.reasons",
    );
    expect(checkClientStatement(fixed, fixtureCatalog())).toEqual([]);
  });
});

// ---- the filter rule itself -----------------------------------------------------------------------------------------
describe("every tenant relation filtered by merchant_id", () => {
  const cat = fixtureCatalog();
  const check = (sql: string) => checkClientStatement(sql, cat);

  it("accepts the app's own shapes: a parameter, joins and correlated subqueries on merchant_id, CTEs, merchants by id", () => {
    // app/domain/points/ledger.server.ts's balance lock (as recorded by the integration suite).
    expect(
      check(`with s as (
        select * from "member_balances" where merchant_id = $1 and member_id = $2 for update
      ), i as (
        insert into member_balances (merchant_id, member_id, updated_at)
        select $3, $4, $5 where not exists (select 1 from s)
        on conflict (merchant_id, member_id) do nothing returning *
      ) select * from s union all select * from i`),
    ).toEqual([]);
    expect(check("select o.id from orders o join members m on m.merchant_id = o.merchant_id and m.id = o.member_id where o.merchant_id = $1")).toEqual([]);
    expect(check("select m.id from members m join orders o using (merchant_id) where m.merchant_id = $1 and o.id = m.id")).toEqual([]);
    expect(check("select * from members m where m.merchant_id = $1 and exists (select 1 from orders o where o.merchant_id = m.merchant_id and o.member_id = m.id)")).toEqual([]);
    expect(check("select * from members where merchant_id = $1 and id in (select member_id from orders where merchant_id = $1)")).toEqual([]);
    expect(check("select m.slug, o.id from merchants m join orders o on o.merchant_id = m.id where m.id = $1")).toEqual([]);
    expect(check("select * from members where merchant_id in ($1) and id = $2")).toEqual([]);
    expect(check("insert into orders (merchant_id, id, member_id) values ($1, $2, $3), ($1, $4, $5)")).toEqual([]);
    // Tables without merchant_id (reference tables) need nothing.
    expect(check("select * from merchants where slug = $1")).toEqual([]);
  });

  it("catches a tenant table read, updated or deleted without merchant_id", () => {
    expect(rulesOf(check("select count(*) from members"))).toEqual(["tenant-filter"]);
    expect(rulesOf(check("update referrals set status = 'void' where id = $1"))).toEqual(["tenant-filter"]);
    expect(rulesOf(check("delete from orders where id = $1"))).toEqual(["tenant-filter"]);
    // A job's scan of every merchant (points release / referral due work).
    expect(check("select r.merchant_id, r.id from referrals r where r.status = 'qualified' and r.hold_until <= $1 limit $2")[0]!.message).toBe(
      "reads referrals (as r) is not filtered by merchant_id",
    );
  });

  it("catches a join that is not on merchant_id, an equality under OR, a multi-valued filter, and an INSERT without merchant_id", () => {
    expect(check("select * from members m join orders o on o.member_id = m.id where m.merchant_id = $1")[0]!.message).toContain("orders (as o)");
    expect(rulesOf(check("select * from members where merchant_id = $1 or email = $2"))).toEqual(["tenant-filter"]);
    expect(rulesOf(check("select * from members where merchant_id = any($1)"))).toEqual(["tenant-filter"]);
    expect(rulesOf(check("select * from members where merchant_id = (select merchant_id from orders where id = $1)"))).toEqual(["tenant-filter"]);
    expect(rulesOf(check("insert into orders (id, member_id) values ($1, $2)"))).toEqual(["insert-merchant-id"]);
  });

  it("wants a trigger's statements on its own row's merchant", () => {
    const other = `create function t() returns trigger language plpgsql as $$
      begin
        update member_stats set order_count = order_count + 1 where merchant_id = current_setting('app.merchant_id') and member_id = new.member_id;
        return null;
      end $$`;
    expect(rulesOf(fn(other, [rowTrigger("orders", "t")]))).toEqual(["trigger-own-merchant"]);
    expect(fn(other.replace("current_setting('app.merchant_id')", "new.merchant_id"), [rowTrigger("orders", "t")])).toEqual([]);
  });

  it("flags dynamic SQL in functions, which no parser can see into", () => {
    const dyn = `create function f(p text) returns bigint language plpgsql as $$
      declare n bigint;
      begin
        execute 'select count(*) from members where ' || p into n;
        return n;
      end $$`;
    expect(rulesOf(fn(dyn))).toEqual(["dynamic-sql"]);
  });
});

// ---- lookups before the merchant is known (db/migrations/2026-12-07T0200_citus_lookups.ts) ---------------------------
describe("lookups before the merchant is known", () => {
  const cat = fixtureCatalog();
  const OLD_KEY_LOOKUP = `create function auth_api_key_lookup(p_key_id text)
    returns table (merchant_id text, secret_hash bytea, scopes text[], revoked_at timestamptz)
    language sql stable security definer as $$
      select merchant_id, secret_hash, scopes, revoked_at from api_keys where id = p_key_id
    $$`;
  const KEY_LOOKUP = `create function auth_api_key_lookup(p_key_id text)
    returns table (merchant_id text, secret_hash bytea, scopes text[], revoked_at timestamptz)
    language plpgsql stable security definer as $$
    declare
      v_merchant_id text;
    begin
      select d.merchant_id into v_merchant_id from api_key_directory d where d.key_id = p_key_id;
      if v_merchant_id is null then
        return;
      end if;
      return query
        select k.merchant_id, k.secret_hash, k.scopes, k.revoked_at from api_keys k
        where k.merchant_id = v_merchant_id and k.id = p_key_id;
    end
    $$`;

  it("catches the key lookup by id alone, and accepts the directory read then the read pinned to its merchant", () => {
    expect(rulesOf(fn(OLD_KEY_LOOKUP))).toEqual(["tenant-filter"]);
    expect(fn(KEY_LOOKUP)).toEqual([]);
  });

  it("treats REFERENCE_TENANT_TABLES as reference tables: read by any key, still checked when joined to a tenant table", () => {
    expect(cat.tenant.has("merchant_staff")).toBe(false);
    expect(cat.tenant.has("api_key_directory")).toBe(false);
    expect(checkClientStatement("select merchant_id, role from merchant_staff where staff_user_id = $1", cat)).toEqual([]);
    // The directory does not pin a tenant table it is joined to (the merchant comes from a row, not a value).
    expect(rulesOf(checkClientStatement("select k.* from api_key_directory d join api_keys k on k.merchant_id = d.merchant_id and k.id = d.key_id where d.key_id = $1", cat))).toEqual([
      "tenant-filter",
    ]);
  });
});
