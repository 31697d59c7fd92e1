import { sql, type Kysely } from "kysely";

/**
 * Cost is what the merchant actually gave up, when it gave it up (issue 16 §1). Frozen in time: never import app code.
 *
 *  rewards.cost_minor                  what one unit of the reward costs the merchant (a free product's or a gift's
 *                                      cost; optional for any reward). Copied onto each redemption at grant.
 *  reward_redemptions.cost_minor       that copy (a later change of the catalog does not rewrite history).
 *  reward_redemptions.applied_minor    the discount actually applied when the code was used (codes/use: the percent of
 *                                      that order, a fixed amount capped at the order; Stripe: the promotion code's
 *                                      discount on the checkout session; store credit: what invoices drew from it,
 *                                      cumulative), or the cost of a free product / gift when used / fulfilled.
 *  cltv_settings.points_cost_basis     'point_value' (points-funded rewards cost the points × the point value) or
 *                                      'reward_cost' (the redemption's cost_minor when set, else the point value).
 *  experiment_summaries.liability      the outstanding-points liability's inputs at refresh (breakage estimate).
 *
 * The facts (2026-11-23T0100, rewritten for Citus in 2026-12-07T0100) change meaning for rewards without points:
 *  rewards_minor       was discount_minor of point-free redemptions at created_at (null for percent-off and free
 *                      products: 0; a fixed code counted its face value even if never used). Now applied_minor of
 *                      point-free, non-void redemptions at the time they were used (used_at, or fulfilled_at for a
 *                      gift): a code never used costs nothing.
 *  points_costed       (new) points spent on redemptions that carry a cost_minor, at created_at (as the spend journal);
 *  points_cost_minor   (new) their cost_minor. Under 'reward_cost' the report counts
 *                      (points_redeemed − points_costed) × point value + points_cost_minor.
 * experiment_member_months gets the same. Every function keeps docs/scale-out.md's rules: the member's experiments
 * are read first, the UPDATE is by experiment id, ON CONFLICT DO UPDATE takes excluded.*, every statement is pinned
 * to the row's merchant and member.
 */

const MONTH_SECS = 2629800;
const monthSince = (at: string, from: string) => `floor(extract(epoch from (${at} - ${from})) / ${MONTH_SECS})::int`;

/** When a point-free redemption's cost happened (null: not used yet). */
const USED_AT = (r: string) => `coalesce(${r}.used_at, ${r}.fulfilled_at)`;
const COSTS_AT_USE = (r: string) => `${r}.points_spent = 0 and ${r}.status <> 'void' and ${USED_AT(r)} is not null`;
const POINTS_COSTED = (r: string) => `${r}.points_spent > 0 and ${r}.cost_minor is not null`;

/** Moves a redemption's cost into (+1) or out of (−1) the member's assignments: facts and the month it falls in. */
const ADD_COST = `
  create function experiment_facts_add_cost(
    p_merchant_id text, p_member_id text, p_at timestamptz, p_sign integer,
    p_rewards bigint, p_points_costed bigint, p_points_cost bigint
  ) returns void language plpgsql as $$
  declare
    v_experiments text[];
  begin
    select array_agg(a.experiment_id) into v_experiments from experiment_member_facts a
    where a.merchant_id = p_merchant_id and a.member_id = p_member_id and p_at >= a.assigned_at;
    if v_experiments is null then
      return;
    end if;
    update experiment_member_facts a set
      rewards_minor = a.rewards_minor + p_sign * p_rewards,
      points_costed = a.points_costed + p_sign * p_points_costed,
      points_cost_minor = a.points_cost_minor + p_sign * p_points_cost
    where a.merchant_id = p_merchant_id and a.member_id = p_member_id and a.experiment_id = any(v_experiments);
    insert into experiment_member_months as m
      (merchant_id, experiment_id, member_id, k, arm, rewards_minor, points_costed, points_cost_minor, events)
    select a.merchant_id, a.experiment_id, a.member_id, ${monthSince("p_at", "a.assigned_at")}, a.arm,
      p_sign * p_rewards, p_sign * p_points_costed, p_sign * p_points_cost, p_sign
    from experiment_member_facts a
    where a.merchant_id = p_merchant_id and a.member_id = p_member_id and a.experiment_id = any(v_experiments)
    on conflict (merchant_id, experiment_id, member_id, k) do update set
      rewards_minor = m.rewards_minor + excluded.rewards_minor,
      points_costed = m.points_costed + excluded.points_costed,
      points_cost_minor = m.points_cost_minor + excluded.points_cost_minor,
      events = m.events + excluded.events;
  end $$`;

const ON_REWARD = `
  create or replace function experiment_facts_on_reward() returns trigger language plpgsql as $$
  begin
    if tg_op = 'UPDATE' then
      if ${COSTS_AT_USE("old")} then
        perform experiment_facts_add_cost(old.merchant_id, old.member_id, ${USED_AT("old")}, -1, coalesce(old.applied_minor, 0), 0, 0);
      end if;
      if ${POINTS_COSTED("old")} then
        perform experiment_facts_add_cost(old.merchant_id, old.member_id, old.created_at, -1, 0, old.points_spent, old.cost_minor);
      end if;
    end if;
    if ${COSTS_AT_USE("new")} then
      perform experiment_facts_add_cost(new.merchant_id, new.member_id, ${USED_AT("new")}, 1, coalesce(new.applied_minor, 0), 0, 0);
    end if;
    if ${POINTS_COSTED("new")} then
      perform experiment_facts_add_cost(new.merchant_id, new.member_id, new.created_at, 1, 0, new.points_spent, new.cost_minor);
    end if;
    return null;
  end $$`;

/** The row-level fill of 2026-12-07T0100 with the rewards' new meaning and the two new columns. */
const ON_ASSIGN = `
  create or replace function experiment_facts_on_assign() returns trigger language plpgsql as $$
  declare
    v_pre_from timestamptz := new.assigned_at - interval '365 days';
    v_revenue bigint;
    v_pre_spend bigint;
    v_points bigint;
    v_rewards bigint;
    v_points_costed bigint;
    v_points_cost bigint;
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
    select coalesce(sum(coalesce(r.applied_minor, 0)) filter (where ${COSTS_AT_USE("r")} and ${USED_AT("r")} >= new.assigned_at), 0),
           coalesce(sum(r.points_spent) filter (where ${POINTS_COSTED("r")} and r.created_at >= new.assigned_at), 0),
           coalesce(sum(r.cost_minor) filter (where ${POINTS_COSTED("r")} and r.created_at >= new.assigned_at), 0),
           count(*) filter (where (${COSTS_AT_USE("r")} and ${USED_AT("r")} >= new.assigned_at) or (${POINTS_COSTED("r")} and r.created_at >= new.assigned_at))
      into v_rewards, v_points_costed, v_points_cost, n
      from reward_redemptions r
      where r.merchant_id = new.merchant_id and r.member_id = new.member_id;
    v_since := v_since + n;
    select s.cltv_12m_minor into v_predicted from member_stats s where s.merchant_id = new.merchant_id and s.member_id = new.member_id;
    v_joined := exists (select 1 from experiment_events e
      where e.merchant_id = new.merchant_id and e.experiment_id = new.experiment_id and e.member_id = new.member_id and e.kind in ('joined', 'claimed'));

    insert into experiment_member_facts
      (merchant_id, experiment_id, member_id, arm, assigned_at, revenue_minor, pre_spend_minor, points_redeemed, rewards_minor,
       points_costed, points_cost_minor, predicted_minor, joined)
    values (new.merchant_id, new.experiment_id, new.member_id, new.arm, new.assigned_at, v_revenue, v_pre_spend, v_points, v_rewards,
       v_points_costed, v_points_cost, v_predicted, v_joined);

    if v_since > 0 then
      insert into experiment_member_months
        (merchant_id, experiment_id, member_id, k, arm, revenue_minor, points_redeemed, rewards_minor, points_costed, points_cost_minor, events)
      select new.merchant_id, new.experiment_id, new.member_id, ev.k, new.arm, sum(ev.rev), sum(ev.pts), sum(ev.rw), sum(ev.pc), sum(ev.pcm), count(*)
      from (
        select ${monthSince("o.occurred_at", "new.assigned_at")} as k, o.amount_minor - o.refunded_minor as rev, 0::bigint as pts, 0::bigint as rw,
          0::bigint as pc, 0::bigint as pcm
        from orders o where o.merchant_id = new.merchant_id and o.member_id = new.member_id and o.occurred_at >= new.assigned_at
        union all
        select ${monthSince("j.effective_at", "new.assigned_at")}, 0, -j.points, 0, 0, 0
        from ledger_journals j
        where j.merchant_id = new.merchant_id and j.member_id = new.member_id and j.kind = 'spend' and j.effective_at >= new.assigned_at
        union all
        select ${monthSince(USED_AT("r"), "new.assigned_at")}, 0, 0, coalesce(r.applied_minor, 0), 0, 0
        from reward_redemptions r
        where r.merchant_id = new.merchant_id and r.member_id = new.member_id and ${COSTS_AT_USE("r")} and ${USED_AT("r")} >= new.assigned_at
        union all
        select ${monthSince("r.created_at", "new.assigned_at")}, 0, 0, 0, r.points_spent, r.cost_minor
        from reward_redemptions r
        where r.merchant_id = new.merchant_id and r.member_id = new.member_id and ${POINTS_COSTED("r")} and r.created_at >= new.assigned_at
      ) ev
      group by ev.k;
    end if;
    return null;
  end $$`;

/** The whole-merchant fill (the rebuild), as 2026-11-23T0100's with the rewards' new meaning. */
function fillAllSql(source: string): string {
  const a = `a as (select merchant_id, experiment_id, member_id, arm, assigned_at from ${source})`;
  const m = (at: string) => monthSince(at, "a.assigned_at");
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
      select a.merchant_id, a.experiment_id, a.member_id,
        sum(coalesce(r.applied_minor, 0)) filter (where ${COSTS_AT_USE("r")} and ${USED_AT("r")} >= a.assigned_at) as rewards,
        sum(r.points_spent) filter (where ${POINTS_COSTED("r")} and r.created_at >= a.assigned_at) as pc,
        sum(r.cost_minor) filter (where ${POINTS_COSTED("r")} and r.created_at >= a.assigned_at) as pcm
      from a join reward_redemptions r on r.merchant_id = a.merchant_id and r.member_id = a.member_id
      group by 1, 2, 3
    ),
    j as (
      select distinct e.merchant_id, e.experiment_id, e.member_id
      from a join experiment_events e on e.merchant_id = a.merchant_id and e.experiment_id = a.experiment_id and e.member_id = a.member_id
      where e.kind in ('joined', 'claimed')
    )
    insert into experiment_member_facts
      (merchant_id, experiment_id, member_id, arm, assigned_at, revenue_minor, pre_spend_minor, points_redeemed, rewards_minor,
       points_costed, points_cost_minor, predicted_minor, joined)
    select a.merchant_id, a.experiment_id, a.member_id, a.arm, a.assigned_at,
      coalesce(o.y, 0), coalesce(o.x, 0), coalesce(p.points, 0), coalesce(g.rewards, 0), coalesce(g.pc, 0), coalesce(g.pcm, 0),
      s.cltv_12m_minor, j.member_id is not null
    from a
    left join o on o.merchant_id = a.merchant_id and o.experiment_id = a.experiment_id and o.member_id = a.member_id
    left join p on p.merchant_id = a.merchant_id and p.experiment_id = a.experiment_id and p.member_id = a.member_id
    left join g on g.merchant_id = a.merchant_id and g.experiment_id = a.experiment_id and g.member_id = a.member_id
    left join j on j.merchant_id = a.merchant_id and j.experiment_id = a.experiment_id and j.member_id = a.member_id
    left join member_stats s on s.merchant_id = a.merchant_id and s.member_id = a.member_id;

    with ${a}
    insert into experiment_member_months
      (merchant_id, experiment_id, member_id, k, arm, revenue_minor, points_redeemed, rewards_minor, points_costed, points_cost_minor, events)
    select merchant_id, experiment_id, member_id, k, arm, sum(rev), sum(pts), sum(rw), sum(pc), sum(pcm), count(*)
    from (
      select a.merchant_id, a.experiment_id, a.member_id, a.arm, ${m("o.occurred_at")} as k,
        o.amount_minor - o.refunded_minor as rev, 0::bigint as pts, 0::bigint as rw, 0::bigint as pc, 0::bigint as pcm
      from a join orders o on o.merchant_id = a.merchant_id and o.member_id = a.member_id
      where o.occurred_at >= a.assigned_at
      union all
      select a.merchant_id, a.experiment_id, a.member_id, a.arm, ${m("j.effective_at")}, 0, -j.points, 0, 0, 0
      from a join ledger_journals j on j.merchant_id = a.merchant_id and j.member_id = a.member_id
      where j.kind = 'spend' and j.effective_at >= a.assigned_at
      union all
      select a.merchant_id, a.experiment_id, a.member_id, a.arm, ${m(USED_AT("r"))}, 0, 0, coalesce(r.applied_minor, 0), 0, 0
      from a join reward_redemptions r on r.merchant_id = a.merchant_id and r.member_id = a.member_id
      where ${COSTS_AT_USE("r")} and ${USED_AT("r")} >= a.assigned_at
      union all
      select a.merchant_id, a.experiment_id, a.member_id, a.arm, ${m("r.created_at")}, 0, 0, 0, r.points_spent, r.cost_minor
      from a join reward_redemptions r on r.merchant_id = a.merchant_id and r.member_id = a.member_id
      where ${POINTS_COSTED("r")} and r.created_at >= a.assigned_at
    ) ev
    group by merchant_id, experiment_id, member_id, k, arm;`;
}

const REBUILD = `
  create or replace function experiment_member_facts_rebuild(p_merchant_id text) returns void language plpgsql as $$
  declare
    was_nestloop text := current_setting('enable_nestloop');
  begin
    delete from experiment_member_facts where merchant_id = p_merchant_id;
    delete from experiment_member_months where merchant_id = p_merchant_id;
    perform set_config('enable_nestloop', 'off', true);
    ${fillAllSql("experiment_assignments where merchant_id = p_merchant_id")}
    perform set_config('enable_nestloop', was_nestloop, true);
  end $$`;

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table rewards add column cost_minor bigint check (cost_minor between 0 and 100000000)`.execute(db);
  await sql`alter table reward_redemptions add column cost_minor bigint check (cost_minor between 0 and 100000000)`.execute(db);
  await sql`alter table reward_redemptions add column applied_minor bigint check (applied_minor >= 0)`.execute(db);
  await sql`alter table cltv_settings add column points_cost_basis text not null default 'point_value'
    check (points_cost_basis in ('point_value', 'reward_cost'))`.execute(db);
  await sql`alter table experiment_summaries add column liability jsonb`.execute(db);
  for (const t of ["experiment_member_facts", "experiment_member_months"]) {
    await sql`alter table ${sql.table(t)} add column points_costed bigint not null default 0, add column points_cost_minor bigint not null default 0`.execute(db);
  }
  // A Stripe promotion code in a checkout finds its redemption by id.
  await sql`create index reward_redemptions_stripe_promo_idx on reward_redemptions (merchant_id, stripe_promotion_code_id) where stripe_promotion_code_id is not null`.execute(db);

  // Codes already used before this migration: what they gave up is not known; a fixed amount's face value (capped at
  // nothing: the order amount was not stored) is the best available figure, percent-off and free products 0.
  await sql`update reward_redemptions set applied_minor = case when kind in ('fixed_discount', 'store_credit', 'points_discount') then discount_minor else 0 end
    where status = 'used'`.execute(db);

  await sql.raw(ADD_COST).execute(db);
  await sql.raw(ON_REWARD).execute(db);
  await sql.raw(ON_ASSIGN).execute(db);
  await sql.raw(REBUILD).execute(db);
  await sql`drop trigger reward_redemptions_experiment_facts_update on reward_redemptions`.execute(db);
  await sql`create trigger reward_redemptions_experiment_facts_update
    after update of status, applied_minor, used_at, fulfilled_at, points_spent, cost_minor, created_at, member_id on reward_redemptions
    for each row when (
      (old.status = 'void', old.points_spent, coalesce(old.applied_minor, 0), coalesce(old.used_at, old.fulfilled_at), old.cost_minor, old.created_at, old.member_id) is distinct from
      (new.status = 'void', new.points_spent, coalesce(new.applied_minor, 0), coalesce(new.used_at, new.fulfilled_at), new.cost_minor, new.created_at, new.member_id)
    ) execute function experiment_facts_on_reward()`.execute(db);

  // Every merchant's facts in the new meaning.
  await sql`select experiment_member_facts_rebuild(id) from merchants where exists (select 1 from experiment_assignments a where a.merchant_id = merchants.id)`.execute(db);
}

// ---- down: the definitions this replaced (2026-11-23T0100's reward trigger and rebuild, 2026-12-07T0100's per-row fill)

/** 2026-11-23T0100: rewards without points at grant (created_at), at discount_minor. */
const OLD_ON_REWARD = `
  create or replace function experiment_facts_on_reward() returns trigger language plpgsql as $$
  begin
    if tg_op = 'UPDATE' and old.points_spent = 0 and old.status <> 'void' then
      perform experiment_facts_add_event(old.merchant_id, old.member_id, old.created_at, -1, 0, 0, coalesce(old.discount_minor, 0));
    end if;
    if new.points_spent = 0 and new.status <> 'void' then
      perform experiment_facts_add_event(new.merchant_id, new.member_id, new.created_at, 1, 0, 0, coalesce(new.discount_minor, 0));
    end if;
    return null;
  end $$`;

/** 2026-12-07T0100's one-assignment fill. */
const OLD_ON_ASSIGN = `
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

/** 2026-11-23T0100's whole-merchant fill. */
function oldFillAllSql(source: string): string {
  const a = `a as (select merchant_id, experiment_id, member_id, arm, assigned_at from ${source})`;
  const m = (at: string) => monthSince(at, "a.assigned_at");
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
      select a.merchant_id, a.experiment_id, a.member_id, a.arm, ${m("o.occurred_at")} as k,
        o.amount_minor - o.refunded_minor as rev, 0::bigint as pts, 0::bigint as rw
      from a join orders o on o.merchant_id = a.merchant_id and o.member_id = a.member_id
      where o.occurred_at >= a.assigned_at
      union all
      select a.merchant_id, a.experiment_id, a.member_id, a.arm, ${m("j.effective_at")}, 0, -j.points, 0
      from a join ledger_journals j on j.merchant_id = a.merchant_id and j.member_id = a.member_id
      where j.kind = 'spend' and j.effective_at >= a.assigned_at
      union all
      select a.merchant_id, a.experiment_id, a.member_id, a.arm, ${m("r.created_at")}, 0, 0, coalesce(r.discount_minor, 0)
      from a join reward_redemptions r on r.merchant_id = a.merchant_id and r.member_id = a.member_id
      where r.points_spent = 0 and r.status <> 'void' and r.created_at >= a.assigned_at
    ) ev
    group by merchant_id, experiment_id, member_id, k, arm;`;
}

const OLD_REBUILD = `
  create or replace function experiment_member_facts_rebuild(p_merchant_id text) returns void language plpgsql as $$
  declare
    was_nestloop text := current_setting('enable_nestloop');
  begin
    delete from experiment_member_facts where merchant_id = p_merchant_id;
    delete from experiment_member_months where merchant_id = p_merchant_id;
    perform set_config('enable_nestloop', 'off', true);
    ${oldFillAllSql("experiment_assignments where merchant_id = p_merchant_id")}
    perform set_config('enable_nestloop', was_nestloop, true);
  end $$`;

/**
 * Back to the facts' earlier meaning: rewards without points counted at grant at their face value. What the codes
 * really took off (applied_minor), the rewards' and redemptions' cost_minor and the points cost basis are dropped
 * with their columns: a later up() starts them again from the estimate its backfill makes.
 */
export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(OLD_ON_REWARD).execute(db);
  await sql.raw(OLD_ON_ASSIGN).execute(db);
  await sql.raw(OLD_REBUILD).execute(db);
  await sql`drop trigger reward_redemptions_experiment_facts_update on reward_redemptions`.execute(db);
  await sql`create trigger reward_redemptions_experiment_facts_update
    after update of status, discount_minor, points_spent, created_at, member_id on reward_redemptions
    for each row when (
      (old.points_spent = 0 and old.status <> 'void', coalesce(old.discount_minor, 0), old.created_at, old.member_id) is distinct from
      (new.points_spent = 0 and new.status <> 'void', coalesce(new.discount_minor, 0), new.created_at, new.member_id)
    ) execute function experiment_facts_on_reward()`.execute(db);
  await sql`drop function experiment_facts_add_cost(text, text, timestamptz, integer, bigint, bigint, bigint)`.execute(db);
  await sql`drop index reward_redemptions_stripe_promo_idx`.execute(db);
  for (const t of ["experiment_member_facts", "experiment_member_months"]) {
    await sql`alter table ${sql.table(t)} drop column points_costed, drop column points_cost_minor`.execute(db);
  }
  await sql`alter table experiment_summaries drop column liability`.execute(db);
  await sql`alter table cltv_settings drop column points_cost_basis`.execute(db);
  await sql`alter table reward_redemptions drop column applied_minor, drop column cost_minor`.execute(db);
  await sql`alter table rewards drop column cost_minor`.execute(db);
  await sql`select experiment_member_facts_rebuild(id) from merchants where exists (select 1 from experiment_assignments a where a.merchant_id = merchants.id)`.execute(db);
}
