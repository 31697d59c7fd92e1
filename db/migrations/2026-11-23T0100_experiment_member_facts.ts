import { sql, type Kysely } from "kysely";

/**
 * Per-member facts of every experiment assignment, kept exact by triggers, so the incrementality report and its
 * charts read one narrow table instead of joining orders, ledger journals, rewards, events and stats at query time.
 * Frozen in time: never import app code here.
 *
 *  experiment_member_facts   one row per assignment (merchant, experiment, member), over the report's default
 *                            window (everything since assignment; the CUPED pre-period is the 365 days before it):
 *                            revenue_minor     orders net of refunds with occurred_at >= assigned_at
 *                            pre_spend_minor   orders net of refunds in [assigned_at − 365 days, assigned_at)
 *                            points_redeemed   −points of `spend` journals with effective_at >= assigned_at
 *                            rewards_minor     discount_minor of redemptions without points (points_spent = 0),
 *                                              not void, created_at >= assigned_at
 *                            predicted_minor   member_stats.cltv_12m_minor (null until scored)
 *                            joined            the member has a `joined` or `claimed` event in the experiment
 *  experiment_member_months  the same value components per month since assignment (k = floor(age / 30.4375 days)),
 *                            with `events` counting the value events in that month (the charts stop at the last
 *                            month with any).
 *
 * Maintenance: a statement-level trigger on experiment_assignments fills both tables set-based from the source
 * tables for the newly inserted rows (assignments may come before or after the orders: CSV imports, replays, bulk
 * assignment); row triggers on orders, spend journals, reward redemptions, experiment events and member_stats move
 * each write's contribution in (and, for updates, the old contribution out). A member in no experiment costs the
 * order trigger one probe of experiment_member_facts_member_idx. Rows go with the member or the experiment (as the
 * assignment does; assignments are never deleted on their own). All trigger
 * functions are SECURITY INVOKER: they run under the caller's RLS, which already scopes the row's merchant.
 * experiment_member_facts_rebuild(merchant) recomputes a merchant's rows (the backfill below; bulk loads that run
 * with triggers off).
 */
const TENANT_TABLES = ["experiment_member_facts", "experiment_member_months"] as const;

/** 30.4375 days in seconds: the charts' month (series.server.ts MONTH_DAYS). */
const MONTH_SECS = 2629800;
const monthOf = (at: string) => `floor(extract(epoch from (${at} - a.assigned_at)) / ${MONTH_SECS})::int`;

/**
 * Fill of facts and months for newly inserted assignments (the trigger's transition table): per assignment, index
 * probes into each source table (lateral subqueries on the member's rows). Linear in the rows inserted whatever the
 * statistics say: one assignment at enrollment costs a few probes, a 20,000-row import chunk 20,000 × a few. (Joins
 * grouped per member, as in the rebuild below, can be planned as nested loops over an aggregate right after a bulk
 * load, which is quadratic.)
 */
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
    ) g;

    with ${a}
    insert into experiment_member_months (merchant_id, experiment_id, member_id, k, arm, revenue_minor, points_redeemed, rewards_minor, events)
    select a.merchant_id, a.experiment_id, a.member_id, ev.k, a.arm, sum(ev.rev), sum(ev.pts), sum(ev.rw), count(*)
    from a
    cross join lateral (
      select ${monthOf("o.occurred_at")} as k, o.amount_minor - o.refunded_minor as rev, 0::bigint as pts, 0::bigint as rw
      from orders o where o.merchant_id = a.merchant_id and o.member_id = a.member_id and o.occurred_at >= a.assigned_at
      union all
      select ${monthOf("j.effective_at")}, 0, -j.points, 0
      from ledger_journals j where j.merchant_id = a.merchant_id and j.member_id = a.member_id and j.kind = 'spend' and j.effective_at >= a.assigned_at
      union all
      select ${monthOf("r.created_at")}, 0, 0, coalesce(r.discount_minor, 0)
      from reward_redemptions r
      where r.merchant_id = a.merchant_id and r.member_id = a.member_id and r.points_spent = 0 and r.status <> 'void' and r.created_at >= a.assigned_at
    ) ev
    group by a.merchant_id, a.experiment_id, a.member_id, ev.k, a.arm;`;
}

/**
 * The same fill for a whole merchant (backfill, bulk loads with triggers off): each source table scanned once,
 * grouped per member and hash-joined to the assignments (run with nested loops off, see experiment_member_facts_rebuild).
 */
function fillAllSql(source: string): string {
  const a = `a as (select merchant_id, experiment_id, member_id, arm, assigned_at from ${source})`;
  return `
    with ${a},
    o as (
      select a.merchant_id, a.experiment_id, a.member_id,
        sum(o.amount_minor - o.refunded_minor) filter (where o.occurred_at >= a.assigned_at) as y,
        sum(o.amount_minor - o.refunded_minor) filter (where o.occurred_at < a.assigned_at) as x
      from a join orders o on o.merchant_id = a.merchant_id and o.member_id = a.member_id
      where o.occurred_at >= a.assigned_at - interval '365 days'
      group by 1, 2, 3
    ),
    p as (
      select a.merchant_id, a.experiment_id, a.member_id, sum(-j.points) as points
      from a join ledger_journals j on j.merchant_id = a.merchant_id and j.member_id = a.member_id
      where j.kind = 'spend' and j.effective_at >= a.assigned_at
      group by 1, 2, 3
    ),
    g as (
      select a.merchant_id, a.experiment_id, a.member_id, sum(coalesce(r.discount_minor, 0)) as rewards
      from a join reward_redemptions r on r.merchant_id = a.merchant_id and r.member_id = a.member_id
      where r.points_spent = 0 and r.status <> 'void' and r.created_at >= a.assigned_at
      group by 1, 2, 3
    ),
    j as (
      select distinct e.merchant_id, e.experiment_id, e.member_id
      from a join experiment_events e on e.merchant_id = a.merchant_id and e.experiment_id = a.experiment_id and e.member_id = a.member_id
      where e.kind in ('joined', 'claimed')
    )
    insert into experiment_member_facts
      (merchant_id, experiment_id, member_id, arm, assigned_at, revenue_minor, pre_spend_minor, points_redeemed, rewards_minor, predicted_minor, joined)
    select a.merchant_id, a.experiment_id, a.member_id, a.arm, a.assigned_at,
      coalesce(o.y, 0), coalesce(o.x, 0), coalesce(p.points, 0), coalesce(g.rewards, 0), s.cltv_12m_minor, j.member_id is not null
    from a
    left join o on o.merchant_id = a.merchant_id and o.experiment_id = a.experiment_id and o.member_id = a.member_id
    left join p on p.merchant_id = a.merchant_id and p.experiment_id = a.experiment_id and p.member_id = a.member_id
    left join g on g.merchant_id = a.merchant_id and g.experiment_id = a.experiment_id and g.member_id = a.member_id
    left join j on j.merchant_id = a.merchant_id and j.experiment_id = a.experiment_id and j.member_id = a.member_id
    left join member_stats s on s.merchant_id = a.merchant_id and s.member_id = a.member_id;

    with ${a}
    insert into experiment_member_months (merchant_id, experiment_id, member_id, k, arm, revenue_minor, points_redeemed, rewards_minor, events)
    select merchant_id, experiment_id, member_id, k, arm, sum(rev), sum(pts), sum(rw), count(*)
    from (
      select a.merchant_id, a.experiment_id, a.member_id, a.arm, ${monthOf("o.occurred_at")} as k,
        o.amount_minor - o.refunded_minor as rev, 0::bigint as pts, 0::bigint as rw
      from a join orders o on o.merchant_id = a.merchant_id and o.member_id = a.member_id
      where o.occurred_at >= a.assigned_at
      union all
      select a.merchant_id, a.experiment_id, a.member_id, a.arm, ${monthOf("j.effective_at")}, 0, -j.points, 0
      from a join ledger_journals j on j.merchant_id = a.merchant_id and j.member_id = a.member_id
      where j.kind = 'spend' and j.effective_at >= a.assigned_at
      union all
      select a.merchant_id, a.experiment_id, a.member_id, a.arm, ${monthOf("r.created_at")}, 0, 0, coalesce(r.discount_minor, 0)
      from a join reward_redemptions r on r.merchant_id = a.merchant_id and r.member_id = a.member_id
      where r.points_spent = 0 and r.status <> 'void' and r.created_at >= a.assigned_at
    ) ev
    group by merchant_id, experiment_id, member_id, k, arm;`;
}

/**
 * Moves one value event into (sign +1) or out of (−1) every assignment of the member it counts for: the facts row
 * (and the pre-period for orders) and the month it falls in. `at` before every assignment (less 365 days for
 * orders) touches nothing.
 */
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

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table experiment_member_facts (
      merchant_id text not null,
      experiment_id text not null,
      member_id text not null,
      arm text not null,
      assigned_at timestamptz not null,
      revenue_minor bigint not null default 0,
      pre_spend_minor bigint not null default 0,
      points_redeemed bigint not null default 0,
      rewards_minor bigint not null default 0,
      predicted_minor bigint,
      joined boolean not null default false,
      primary key (merchant_id, experiment_id, member_id),
      -- Gone with the member or the experiment, as the assignment is (assignments are never deleted on their own).
      -- Not a foreign key to experiment_assignments: that check would be planned on the assignments table as it was
      -- before a bulk insert (a sequential scan per row when it looked empty), quadratic in the rows inserted.
      foreign key (merchant_id, experiment_id) references experiments (merchant_id, id) on delete cascade,
      foreign key (merchant_id, member_id) references members (merchant_id, id) on delete cascade
    )`.execute(db);
  // The row triggers find a member's assignments by member.
  await sql`create index experiment_member_facts_member_idx on experiment_member_facts (merchant_id, member_id)`.execute(db);

  await sql`
    create table experiment_member_months (
      merchant_id text not null,
      experiment_id text not null,
      member_id text not null,
      -- Whole months of 30.4375 days since assignment.
      k integer not null check (k >= 0),
      arm text not null,
      revenue_minor bigint not null default 0,
      points_redeemed bigint not null default 0,
      rewards_minor bigint not null default 0,
      -- Value events (orders, spend journals, point-free rewards) in the month.
      events integer not null default 0,
      primary key (merchant_id, experiment_id, member_id, k),
      foreign key (merchant_id, experiment_id) references experiments (merchant_id, id) on delete cascade,
      foreign key (merchant_id, member_id) references members (merchant_id, id) on delete cascade
    )`.execute(db);

  // ---- assignments: fill from the source tables, one statement for however many rows were inserted -------------
  await sql
    .raw(
      `create function experiment_facts_on_assign() returns trigger language plpgsql as $$
      begin
        ${fillNewSql("new_assignments")}
        return null;
      end $$`,
    )
    .execute(db);
  await sql`create trigger experiment_assignments_facts after insert on experiment_assignments
    referencing new table as new_assignments
    for each statement execute function experiment_facts_on_assign()`.execute(db);

  await sql
    .raw(
      `create function experiment_member_facts_rebuild(p_merchant_id text) returns void language plpgsql as $$
      declare
        was_nestloop text := current_setting('enable_nestloop');
      begin
        delete from experiment_member_facts where merchant_id = p_merchant_id;
        delete from experiment_member_months where merchant_id = p_merchant_id;
        -- Hash joins over the merchant's tables; right after a bulk load the planner may otherwise pick nested loops
        -- over an aggregate, which is quadratic. Transaction-local, restored below.
        perform set_config('enable_nestloop', 'off', true);
        ${fillAllSql("experiment_assignments where merchant_id = p_merchant_id")}
        perform set_config('enable_nestloop', was_nestloop, true);
      end $$`,
    )
    .execute(db);

  await sql.raw(ADD_EVENT).execute(db);

  // ---- orders: net amount at occurred_at (after assignment: revenue; in the year before: pre-period spend) ------
  await sql`
    create function experiment_facts_on_order() returns trigger language plpgsql as $$
    begin
      if tg_op = 'UPDATE' then
        perform experiment_facts_add_event(old.merchant_id, old.member_id, old.occurred_at, -1, old.amount_minor - old.refunded_minor, 0, 0);
      end if;
      perform experiment_facts_add_event(new.merchant_id, new.member_id, new.occurred_at, 1, new.amount_minor - new.refunded_minor, 0, 0);
      return null;
    end $$`.execute(db);
  await sql`create trigger orders_experiment_facts after insert on orders
    for each row execute function experiment_facts_on_order()`.execute(db);
  await sql`create trigger orders_experiment_facts_update after update of amount_minor, refunded_minor, occurred_at, member_id on orders
    for each row when (
      (old.amount_minor - old.refunded_minor, old.occurred_at, old.member_id) is distinct from
      (new.amount_minor - new.refunded_minor, new.occurred_at, new.member_id)
    ) execute function experiment_facts_on_order()`.execute(db);

  // ---- spend journals (the ledger is append-only) -----------------------------------------------------------
  await sql`
    create function experiment_facts_on_spend() returns trigger language plpgsql as $$
    begin
      perform experiment_facts_add_event(new.merchant_id, new.member_id, new.effective_at, 1, 0, -new.points, 0);
      return null;
    end $$`.execute(db);
  await sql`create trigger ledger_journals_experiment_facts after insert on ledger_journals
    for each row when (new.kind = 'spend') execute function experiment_facts_on_spend()`.execute(db);

  // ---- rewards granted without points (not void) -----------------------------------------------------------
  await sql`
    create function experiment_facts_on_reward() returns trigger language plpgsql as $$
    begin
      if tg_op = 'UPDATE' and old.points_spent = 0 and old.status <> 'void' then
        perform experiment_facts_add_event(old.merchant_id, old.member_id, old.created_at, -1, 0, 0, coalesce(old.discount_minor, 0));
      end if;
      if new.points_spent = 0 and new.status <> 'void' then
        perform experiment_facts_add_event(new.merchant_id, new.member_id, new.created_at, 1, 0, 0, coalesce(new.discount_minor, 0));
      end if;
      return null;
    end $$`.execute(db);
  await sql`create trigger reward_redemptions_experiment_facts after insert on reward_redemptions
    for each row execute function experiment_facts_on_reward()`.execute(db);
  await sql`create trigger reward_redemptions_experiment_facts_update
    after update of status, discount_minor, points_spent, created_at, member_id on reward_redemptions
    for each row when (
      (old.points_spent = 0 and old.status <> 'void', coalesce(old.discount_minor, 0), old.created_at, old.member_id) is distinct from
      (new.points_spent = 0 and new.status <> 'void', coalesce(new.discount_minor, 0), new.created_at, new.member_id)
    ) execute function experiment_facts_on_reward()`.execute(db);

  // ---- opt-in: joined / claimed ------------------------------------------------------------------------------
  await sql`
    create function experiment_facts_on_event() returns trigger language plpgsql as $$
    begin
      update experiment_member_facts set joined = true
      where merchant_id = new.merchant_id and experiment_id = new.experiment_id and member_id = new.member_id and not joined;
      return null;
    end $$`.execute(db);
  await sql`create trigger experiment_events_facts after insert on experiment_events
    for each row when (new.kind in ('joined', 'claimed')) execute function experiment_facts_on_event()`.execute(db);

  // ---- the CLTV model's 12-month prediction --------------------------------------------------------------------
  await sql`
    create function experiment_facts_on_member_stats() returns trigger language plpgsql as $$
    begin
      if tg_op = 'DELETE' then
        update experiment_member_facts set predicted_minor = null
        where merchant_id = old.merchant_id and member_id = old.member_id and predicted_minor is not null;
        return null;
      end if;
      update experiment_member_facts set predicted_minor = new.cltv_12m_minor
      where merchant_id = new.merchant_id and member_id = new.member_id and predicted_minor is distinct from new.cltv_12m_minor;
      return null;
    end $$`.execute(db);
  await sql`create trigger member_stats_experiment_facts_insert after insert on member_stats
    for each row when (new.cltv_12m_minor is not null) execute function experiment_facts_on_member_stats()`.execute(db);
  await sql`create trigger member_stats_experiment_facts_update after update of cltv_12m_minor on member_stats
    for each row when (old.cltv_12m_minor is distinct from new.cltv_12m_minor) execute function experiment_facts_on_member_stats()`.execute(db);
  await sql`create trigger member_stats_experiment_facts_delete after delete on member_stats
    for each row when (old.cltv_12m_minor is not null) execute function experiment_facts_on_member_stats()`.execute(db);

  // ---- privileges and row level security -----------------------------------------------------------------------
  for (const t of TENANT_TABLES) {
    await sql`grant select, insert, update, delete on ${sql.table(t)} to perennial_app`.execute(db);
    await sql`alter table ${sql.table(t)} enable row level security`.execute(db);
    await sql`
      create policy tenant_isolation on ${sql.table(t)}
        using (merchant_id = current_setting('app.merchant_id', true))
        with check (merchant_id = current_setting('app.merchant_id', true))`.execute(db);
  }

  // ---- backfill: every existing assignment -------------------------------------------------------------------
  await sql`select experiment_member_facts_rebuild(id) from merchants where exists (select 1 from experiment_assignments a where a.merchant_id = merchants.id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger if exists experiment_assignments_facts on experiment_assignments`.execute(db);
  await sql`drop trigger if exists orders_experiment_facts on orders`.execute(db);
  await sql`drop trigger if exists orders_experiment_facts_update on orders`.execute(db);
  await sql`drop trigger if exists ledger_journals_experiment_facts on ledger_journals`.execute(db);
  await sql`drop trigger if exists reward_redemptions_experiment_facts on reward_redemptions`.execute(db);
  await sql`drop trigger if exists reward_redemptions_experiment_facts_update on reward_redemptions`.execute(db);
  await sql`drop trigger if exists experiment_events_facts on experiment_events`.execute(db);
  await sql`drop trigger if exists member_stats_experiment_facts_insert on member_stats`.execute(db);
  await sql`drop trigger if exists member_stats_experiment_facts_update on member_stats`.execute(db);
  await sql`drop trigger if exists member_stats_experiment_facts_delete on member_stats`.execute(db);
  for (const t of [...TENANT_TABLES].reverse()) await sql`drop table if exists ${sql.table(t)} cascade`.execute(db);
  for (const f of [
    "experiment_facts_on_assign()",
    "experiment_member_facts_rebuild(text)",
    "experiment_facts_on_order()",
    "experiment_facts_on_spend()",
    "experiment_facts_on_reward()",
    "experiment_facts_on_event()",
    "experiment_facts_on_member_stats()",
    "experiment_facts_add_event(text, text, timestamptz, integer, bigint, bigint, bigint)",
  ])
    await sql.raw(`drop function if exists ${f}`).execute(db);
}
