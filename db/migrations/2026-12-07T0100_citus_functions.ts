import { sql, type Kysely } from "kysely";

/**
 * The schema's triggers and functions follow the Citus rules of docs/scale-out.md (issue 15). Same results as before;
 * only how they are computed changes. Frozen in time: never import app code here.
 *
 *  experiment_facts_add_event   the member's assignments an event counts for are read first (a plain SELECT), then
 *                               updated by experiment id: `p_at >= assigned_at - interval …` (STABLE over a column)
 *                               no longer sits in the UPDATE's WHERE (rule 5). The comparison is the one the fill and
 *                               the rebuild make, so it stays exact in any session TimeZone (rewriting it as
 *                               `assigned_at <= p_at + interval …` differs by up to an hour around a DST change).
 *  member_stats_on_order,       `updated_at = now()` in ON CONFLICT DO UPDATE SET (rule 6) → the VALUES supply now()
 *  member_stats_on_referral     and DO UPDATE takes excluded.updated_at. `updated_at = now()` in a plain UPDATE stays.
 *  experiment_facts_on_assign   the statement-level trigger with a transition table joined to five tenant tables
 *                               (rule 8) becomes a row-level trigger: per assignment, a few single-table reads pinned to
 *                               NEW.merchant_id and NEW.member_id and two inserts of that member's rows. The values are
 *                               the old fill's, expression for expression.
 *  referral_node_attach         node numbers came from nextval('referral_node_seq'), a sequence on the coordinator
 *                               only (rule 4). They come from referral_node_counters (one row per merchant, the last
 *                               number it used) through referral_node_next_no; numbers need only be unique within a
 *                               merchant (referral_nodes' unique (merchant_id, node_no); every tree query is
 *                               per merchant). Existing nodes keep their numbers: a merchant's first number from the
 *                               counter is max(node_no) + 1 of its own nodes, so no backfill is needed. The sequence
 *                               goes. The counter row is locked until commit, so a merchant's tree attachments
 *                               serialise (the sequence did not): attachments are sign-ups with a referrer, and
 *                               bulk imports run in one transaction anyway.
 */

/** 30.4375 days in seconds: the charts' month (as in 2026-11-23T0100). */
const MONTH_SECS = 2629800;
const monthSince = (at: string, from: string) => `floor(extract(epoch from (${at} - ${from})) / ${MONTH_SECS})::int`;

const ADD_EVENT = `
  create or replace function experiment_facts_add_event(
    p_merchant_id text, p_member_id text, p_at timestamptz, p_sign integer,
    p_revenue bigint, p_points bigint, p_rewards bigint
  ) returns void language plpgsql as $$
  declare
    -- Orders count for the pre-period too (the 365 days before assignment); other events from assignment on.
    v_window interval := case when p_revenue <> 0 then interval '365 days' else interval '0' end;
    v_experiments text[];
  begin
    select array_agg(a.experiment_id) into v_experiments from experiment_member_facts a
    where a.merchant_id = p_merchant_id and a.member_id = p_member_id and p_at >= a.assigned_at - v_window;
    if v_experiments is null then
      return;
    end if;
    update experiment_member_facts a set
      revenue_minor = a.revenue_minor + case when p_at >= a.assigned_at then p_sign * p_revenue else 0 end,
      pre_spend_minor = a.pre_spend_minor + case when p_at < a.assigned_at then p_sign * p_revenue else 0 end,
      points_redeemed = a.points_redeemed + case when p_at >= a.assigned_at then p_sign * p_points else 0 end,
      rewards_minor = a.rewards_minor + case when p_at >= a.assigned_at then p_sign * p_rewards else 0 end
    where a.merchant_id = p_merchant_id and a.member_id = p_member_id and a.experiment_id = any(v_experiments);
    insert into experiment_member_months as m (merchant_id, experiment_id, member_id, k, arm, revenue_minor, points_redeemed, rewards_minor, events)
    select a.merchant_id, a.experiment_id, a.member_id, ${monthSince("p_at", "a.assigned_at")}, a.arm,
      p_sign * p_revenue, p_sign * p_points, p_sign * p_rewards, p_sign
    from experiment_member_facts a
    where a.merchant_id = p_merchant_id and a.member_id = p_member_id and a.experiment_id = any(v_experiments) and p_at >= a.assigned_at
    on conflict (merchant_id, experiment_id, member_id, k) do update set
      revenue_minor = m.revenue_minor + excluded.revenue_minor,
      points_redeemed = m.points_redeemed + excluded.points_redeemed,
      rewards_minor = m.rewards_minor + excluded.rewards_minor,
      events = m.events + excluded.events;
  end $$`;

const ON_ORDER = `
  create or replace function member_stats_on_order() returns trigger language plpgsql as $$
  begin
    if tg_op = 'INSERT' then
      insert into member_stats as s (merchant_id, member_id, order_count, lifetime_spend_minor, first_order_at, last_order_at, updated_at)
      values (new.merchant_id, new.member_id, 1, new.amount_minor - new.refunded_minor, new.occurred_at, new.occurred_at, now())
      on conflict (merchant_id, member_id) do update set
        order_count = s.order_count + 1,
        lifetime_spend_minor = s.lifetime_spend_minor + excluded.lifetime_spend_minor,
        first_order_at = least(s.first_order_at, excluded.first_order_at),
        last_order_at = greatest(s.last_order_at, excluded.last_order_at),
        updated_at = excluded.updated_at;
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

const ON_REFERRAL = `
  create or replace function member_stats_on_referral() returns trigger language plpgsql as $$
  begin
    if tg_op = 'INSERT' then
      insert into member_stats as s (merchant_id, member_id, referral_count, updated_at) values (new.merchant_id, new.referrer_id, 1, now())
      on conflict (merchant_id, member_id) do update set referral_count = s.referral_count + 1, updated_at = excluded.updated_at;
    elsif tg_op = 'DELETE' or new.referrer_id <> old.referrer_id then
      update member_stats set referral_count = referral_count - 1, updated_at = now()
        where merchant_id = old.merchant_id and member_id = old.referrer_id;
      if tg_op = 'UPDATE' then
        insert into member_stats as s (merchant_id, member_id, referral_count, updated_at) values (new.merchant_id, new.referrer_id, 1, now())
        on conflict (merchant_id, member_id) do update set referral_count = s.referral_count + 1, updated_at = excluded.updated_at;
      end if;
    end if;
    return null;
  end $$`;

/**
 * One assignment's facts and months from its member's rows, as 2026-11-23T0100's set-based fill computed them
 * (same filters and expressions, NEW for the assignment). Every statement reads or writes one table, pinned to
 * NEW.merchant_id and NEW.member_id: on Citus each is a single-shard statement on the shard the trigger fires on.
 * The months insert is skipped when nothing happened since assignment (an assignment at enrolment), which it would
 * have inserted nothing for.
 */
const ON_ASSIGN = `
  create or replace function experiment_facts_on_assign() returns trigger language plpgsql as $$
  declare
    v_pre_from timestamptz := new.assigned_at - interval '365 days';
    v_revenue bigint;
    v_pre_spend bigint;
    v_points bigint;
    v_rewards bigint;
    v_predicted bigint;
    v_joined boolean;
    v_since integer;
    n integer;
  begin
    select coalesce(sum(o.amount_minor - o.refunded_minor) filter (where o.occurred_at >= new.assigned_at), 0),
           coalesce(sum(o.amount_minor - o.refunded_minor) filter (where o.occurred_at < new.assigned_at), 0),
           count(*) filter (where o.occurred_at >= new.assigned_at)
      into v_revenue, v_pre_spend, v_since
      from orders o
      where o.merchant_id = new.merchant_id and o.member_id = new.member_id and o.occurred_at >= v_pre_from;
    select coalesce(sum(-j.points), 0), count(*) into v_points, n
      from ledger_journals j
      where j.merchant_id = new.merchant_id and j.member_id = new.member_id and j.kind = 'spend' and j.effective_at >= new.assigned_at;
    v_since := v_since + n;
    select coalesce(sum(coalesce(r.discount_minor, 0)), 0), count(*) into v_rewards, n
      from reward_redemptions r
      where r.merchant_id = new.merchant_id and r.member_id = new.member_id and r.points_spent = 0 and r.status <> 'void'
        and r.created_at >= new.assigned_at;
    v_since := v_since + n;
    select s.cltv_12m_minor into v_predicted from member_stats s where s.merchant_id = new.merchant_id and s.member_id = new.member_id;
    v_joined := exists (select 1 from experiment_events e
      where e.merchant_id = new.merchant_id and e.experiment_id = new.experiment_id and e.member_id = new.member_id and e.kind in ('joined', 'claimed'));

    insert into experiment_member_facts
      (merchant_id, experiment_id, member_id, arm, assigned_at, revenue_minor, pre_spend_minor, points_redeemed, rewards_minor, predicted_minor, joined)
    values (new.merchant_id, new.experiment_id, new.member_id, new.arm, new.assigned_at, v_revenue, v_pre_spend, v_points, v_rewards, v_predicted, v_joined);

    if v_since > 0 then
      insert into experiment_member_months (merchant_id, experiment_id, member_id, k, arm, revenue_minor, points_redeemed, rewards_minor, events)
      select new.merchant_id, new.experiment_id, new.member_id, ev.k, new.arm, sum(ev.rev), sum(ev.pts), sum(ev.rw), count(*)
      from (
        select ${monthSince("o.occurred_at", "new.assigned_at")} as k, o.amount_minor - o.refunded_minor as rev, 0::bigint as pts, 0::bigint as rw
        from orders o where o.merchant_id = new.merchant_id and o.member_id = new.member_id and o.occurred_at >= new.assigned_at
        union all
        select ${monthSince("j.effective_at", "new.assigned_at")}, 0, -j.points, 0
        from ledger_journals j
        where j.merchant_id = new.merchant_id and j.member_id = new.member_id and j.kind = 'spend' and j.effective_at >= new.assigned_at
        union all
        select ${monthSince("r.created_at", "new.assigned_at")}, 0, 0, coalesce(r.discount_minor, 0)
        from reward_redemptions r
        where r.merchant_id = new.merchant_id and r.member_id = new.member_id and r.points_spent = 0 and r.status <> 'void'
          and r.created_at >= new.assigned_at
      ) ev
      group by ev.k;
    end if;
    return null;
  end $$`;

const NEXT_NO = `
  create function referral_node_next_no(p_merchant text) returns bigint language plpgsql as $$
  declare
    n bigint;
  begin
    update referral_node_counters set last_no = last_no + 1 where merchant_id = p_merchant returning last_no into n;
    if found then
      return n;
    end if;
    -- The merchant's first number from the counter: above every number its nodes have (the sequence gave them out
    -- before). Two first calls at once: the second waits on the first's row and continues from it.
    select coalesce(max(node_no), 0) + 1 into n from referral_nodes where merchant_id = p_merchant;
    insert into referral_node_counters as c (merchant_id, last_no) values (p_merchant, n)
      on conflict (merchant_id) do update set last_no = c.last_no + 1
      returning last_no into n;
    return n;
  end $$`;

/** referral_node_attach of 2026-11-22T2240 with `nextval('referral_node_seq')` replaced by `number`. */
const attach = (number: string) => `
  create or replace function referral_node_attach(p_merchant text, p_member text, p_referrer text, p_leaf_only boolean default true)
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
      n := ${number};
      insert into referral_nodes (merchant_id, member_id, node_no, depth, anchor_no, seg_path, spend_minor, cltv_minor)
        select p_merchant, p_referrer, n, 0, n, n::text, coalesce(s.lifetime_spend_minor, 0), coalesce(s.cltv_36m_minor, s.cltv_12m_minor)
        from (select 1) one
        left join member_stats s on s.merchant_id = p_merchant and s.member_id = p_referrer
        returning * into p;
    end if;
    d := p.depth + 1;
    select node_no into n from referral_nodes where merchant_id = p_merchant and member_id = p_member;
    if n is null then n := ${number}; end if;
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

export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(ADD_EVENT).execute(db);
  await sql.raw(ON_ORDER).execute(db);
  await sql.raw(ON_REFERRAL).execute(db);

  await sql`drop trigger experiment_assignments_facts on experiment_assignments`.execute(db);
  await sql.raw(ON_ASSIGN).execute(db);
  await sql`create trigger experiment_assignments_facts after insert on experiment_assignments
    for each row execute function experiment_facts_on_assign()`.execute(db);

  await sql`
    create table referral_node_counters (
      merchant_id text primary key references merchants(id) on delete cascade,
      -- The last node number given out to the merchant's referral_nodes.
      last_no bigint not null check (last_no > 0)
    )`.execute(db);
  await sql`grant select, insert, update on referral_node_counters to perennial_app`.execute(db);
  await sql`alter table referral_node_counters enable row level security`.execute(db);
  await sql`
    create policy tenant_isolation on referral_node_counters
      using (merchant_id = current_setting('app.merchant_id', true))
      with check (merchant_id = current_setting('app.merchant_id', true))`.execute(db);
  await sql.raw(NEXT_NO).execute(db);
  await sql.raw(attach("referral_node_next_no(p_merchant)")).execute(db);
  await sql`drop sequence referral_node_seq`.execute(db);
}

// ---- down: the definitions of 2026-11-22T2200, 2026-11-22T2240 and 2026-11-23T0100 ------------------------------

const OLD_ADD_EVENT = ADD_EVENT.replace(/declare[\s\S]*?begin\s+select array_agg[\s\S]*?end if;\s+/, "begin\n")
  .replace("and a.experiment_id = any(v_experiments);", "and p_at >= a.assigned_at - case when p_revenue <> 0 then interval '365 days' else interval '0' end;\n    if not found then\n      return;\n    end if;")
  .replace("and a.experiment_id = any(v_experiments) and p_at >= a.assigned_at", "and p_at >= a.assigned_at");

function oldFill(): string {
  const a = `a as (select merchant_id, experiment_id, member_id, arm, assigned_at from new_assignments)`;
  const m = (at: string) => monthSince(at, "a.assigned_at");
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
    ) g;

    with ${a}
    insert into experiment_member_months (merchant_id, experiment_id, member_id, k, arm, revenue_minor, points_redeemed, rewards_minor, events)
    select a.merchant_id, a.experiment_id, a.member_id, ev.k, a.arm, sum(ev.rev), sum(ev.pts), sum(ev.rw), count(*)
    from a
    cross join lateral (
      select ${m("o.occurred_at")} as k, o.amount_minor - o.refunded_minor as rev, 0::bigint as pts, 0::bigint as rw
      from orders o where o.merchant_id = a.merchant_id and o.member_id = a.member_id and o.occurred_at >= a.assigned_at
      union all
      select ${m("j.effective_at")}, 0, -j.points, 0
      from ledger_journals j where j.merchant_id = a.merchant_id and j.member_id = a.member_id and j.kind = 'spend' and j.effective_at >= a.assigned_at
      union all
      select ${m("r.created_at")}, 0, 0, coalesce(r.discount_minor, 0)
      from reward_redemptions r
      where r.merchant_id = a.merchant_id and r.member_id = a.member_id and r.points_spent = 0 and r.status <> 'void' and r.created_at >= a.assigned_at
    ) ev
    group by a.merchant_id, a.experiment_id, a.member_id, ev.k, a.arm;`;
}

export async function down(db: Kysely<any>): Promise<void> {
  // Node numbers continue above every number in use, in any merchant.
  await sql`create sequence referral_node_seq`.execute(db);
  await sql`select setval('referral_node_seq', greatest((select max(node_no) from referral_nodes), 1))`.execute(db);
  await sql`grant usage on sequence referral_node_seq to perennial_app`.execute(db);
  await sql.raw(attach("nextval('referral_node_seq')")).execute(db);
  await sql`drop function if exists referral_node_next_no(text)`.execute(db);
  await sql`drop table if exists referral_node_counters`.execute(db);

  await sql`drop trigger if exists experiment_assignments_facts on experiment_assignments`.execute(db);
  await sql
    .raw(
      `create or replace function experiment_facts_on_assign() returns trigger language plpgsql as $$
      begin
        ${oldFill()}
        return null;
      end $$`,
    )
    .execute(db);
  await sql`create trigger experiment_assignments_facts after insert on experiment_assignments
    referencing new table as new_assignments
    for each statement execute function experiment_facts_on_assign()`.execute(db);

  await sql.raw(ON_REFERRAL.replaceAll(", updated_at) values", ") values").replaceAll(", 1, now())", ", 1)").replaceAll("updated_at = excluded.updated_at", "updated_at = now()")).execute(db);
  await sql.raw(ON_ORDER.replace(", last_order_at, updated_at)", ", last_order_at)").replace("new.occurred_at, now())", "new.occurred_at)").replace("updated_at = excluded.updated_at", "updated_at = now()")).execute(db);
  await sql.raw(OLD_ADD_EVENT).execute(db);
}
