import { sql, type Kysely } from "kysely";

/**
 * The regression adjustment's pre-assignment covariates (issue 16 §3) kept in experiment_member_facts, so the report
 * reads them with the facts instead of joining every order of the merchant per view (issue 14 item 2: a page that
 * aggregates a whole merchant does not grow with it). Frozen in time: never import app code.
 *
 *  z_orders    orders before assignment (occurred_at < assigned_at)
 *  z_recency   whole days from the last of them to assignment (0 without one)
 *  z_tenure    whole months (30.4375 days) from the member's sign-up to assignment, at least 0
 *  z_referred  a referral of the member created at or before assignment
 *  z_stripe    the first order before assignment (by occurred_at, id) came from Stripe
 *
 * The same definitions as the report's raw path (app/domain/incrementality/report.server.ts, covariateCtes), so the
 * two agree to the bit. Filled by a BEFORE INSERT trigger on the facts (the assignment trigger's row and the
 * rebuild's), refreshed when an order or referral dated before an assignment of the member arrives, moves or goes
 * (an import of old orders after assignment). Every statement is pinned to the row's merchant and member
 * (docs/scale-out.md rules 1–3); the UPDATE's SET takes plain variables (rule 5).
 */

const COLUMNS = ["z_orders", "z_recency", "z_tenure"] as const;

/** One member's covariates at `p_at`. */
const COMPUTE = `
  create function experiment_facts_covariates(p_merchant_id text, p_member_id text, p_at timestamptz,
    out z_orders integer, out z_recency integer, out z_tenure integer, out z_referred boolean, out z_stripe boolean)
  language plpgsql stable as $$
  declare
    v_last timestamptz;
    v_first_source text;
    v_created timestamptz;
  begin
    select count(*)::int, max(o.occurred_at), (array_agg(o.source order by o.occurred_at, o.id))[1]
      into z_orders, v_last, v_first_source
      from orders o where o.merchant_id = p_merchant_id and o.member_id = p_member_id and o.occurred_at < p_at;
    z_recency := coalesce(floor(extract(epoch from p_at - v_last) / 86400), 0)::int;
    z_stripe := coalesce(v_first_source = 'stripe', false);
    select mb.created_at into v_created from members mb where mb.merchant_id = p_merchant_id and mb.id = p_member_id;
    z_tenure := coalesce(greatest(0, floor(extract(epoch from p_at - v_created) / 86400 / 30.4375)), 0)::int;
    z_referred := exists (select 1 from referrals r where r.merchant_id = p_merchant_id and r.member_id = p_member_id and r.created_at <= p_at);
  end $$`;

const ON_FACT_INSERT = `
  create function experiment_facts_fill_covariates() returns trigger language plpgsql as $$
  declare
    c record;
  begin
    select * into c from experiment_facts_covariates(new.merchant_id, new.member_id, new.assigned_at);
    new.z_orders := c.z_orders;
    new.z_recency := c.z_recency;
    new.z_tenure := c.z_tenure;
    new.z_referred := c.z_referred;
    new.z_stripe := c.z_stripe;
    return new;
  end $$`;

/** Recomputes the covariates of the member's assignments after `p_at` (an order or referral dated `p_at` changed). */
const REFRESH = `
  create function experiment_facts_refresh_covariates(p_merchant_id text, p_member_id text, p_at timestamptz) returns void language plpgsql as $$
  declare
    f record;
    c record;
  begin
    for f in select a.experiment_id, a.assigned_at from experiment_member_facts a
      where a.merchant_id = p_merchant_id and a.member_id = p_member_id and a.assigned_at >= p_at
    loop
      select * into c from experiment_facts_covariates(p_merchant_id, p_member_id, f.assigned_at);
      update experiment_member_facts a set
        z_orders = c.z_orders, z_recency = c.z_recency, z_tenure = c.z_tenure, z_referred = c.z_referred, z_stripe = c.z_stripe
      where a.merchant_id = p_merchant_id and a.member_id = p_member_id and a.experiment_id = f.experiment_id;
    end loop;
  end $$`;

/** orders (occurred_at) and referrals (created_at): the old and the new row's member and date. */
const onSource = (name: string, at: string) => `
  create function ${name}() returns trigger language plpgsql as $$
  begin
    if tg_op in ('UPDATE', 'DELETE') then
      perform experiment_facts_refresh_covariates(old.merchant_id, old.member_id, old.${at});
    end if;
    if tg_op in ('UPDATE', 'INSERT') then
      perform experiment_facts_refresh_covariates(new.merchant_id, new.member_id, new.${at});
    end if;
    return null;
  end $$`;

/**
 * Set-based fill of a merchant's facts (the migration's backfill; a bulk load that ran without triggers, as the
 * benchmark's). Hash joins: the covariates read every order before assignment once.
 */
const FILL_ALL = `
  create function experiment_member_facts_fill_covariates(p_merchant_id text) returns void language plpgsql as $$
  declare
    was_nestloop text := current_setting('enable_nestloop');
  begin
    perform set_config('enable_nestloop', 'off', true);
    update experiment_member_facts f set
      z_orders = z.z_orders, z_recency = z.z_recency, z_tenure = z.z_tenure, z_referred = z.z_referred, z_stripe = z.z_stripe
    from (
      select a.experiment_id, a.member_id,
        coalesce(zo.orders, 0)::int as z_orders,
        coalesce(floor(extract(epoch from a.assigned_at - zo.last_at) / 86400), 0)::int as z_recency,
        coalesce(greatest(0, floor(extract(epoch from a.assigned_at - mb.created_at) / 86400 / 30.4375)), 0)::int as z_tenure,
        zr.member_id is not null as z_referred,
        coalesce(zo.first_source = 'stripe', false) as z_stripe
      from experiment_member_facts a
      join members mb on mb.merchant_id = a.merchant_id and mb.id = a.member_id
      left join (
        select a2.experiment_id, a2.member_id, count(*) as orders, max(o.occurred_at) as last_at,
          (array_agg(o.source order by o.occurred_at, o.id))[1] as first_source
        from experiment_member_facts a2
        join orders o on o.merchant_id = a2.merchant_id and o.member_id = a2.member_id and o.occurred_at < a2.assigned_at
        where a2.merchant_id = p_merchant_id
        group by a2.experiment_id, a2.member_id
      ) zo on zo.experiment_id = a.experiment_id and zo.member_id = a.member_id
      left join (
        select distinct a3.experiment_id, a3.member_id
        from experiment_member_facts a3
        join referrals r on r.merchant_id = a3.merchant_id and r.member_id = a3.member_id and r.created_at <= a3.assigned_at
        where a3.merchant_id = p_merchant_id
      ) zr on zr.experiment_id = a.experiment_id and zr.member_id = a.member_id
      where a.merchant_id = p_merchant_id
    ) z
    where f.merchant_id = p_merchant_id and f.experiment_id = z.experiment_id and f.member_id = z.member_id;
    perform set_config('enable_nestloop', was_nestloop, true);
  end $$`;

export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`alter table experiment_member_facts ${COLUMNS.map((c) => `add column ${c} integer not null default 0`).join(", ")},
    add column z_referred boolean not null default false, add column z_stripe boolean not null default false`).execute(db);
  await sql.raw(COMPUTE).execute(db);
  await sql.raw(ON_FACT_INSERT).execute(db);
  await sql.raw(REFRESH).execute(db);
  await sql.raw(onSource("experiment_facts_covariates_on_order", "occurred_at")).execute(db);
  await sql.raw(onSource("experiment_facts_covariates_on_referral", "created_at")).execute(db);
  await sql.raw(FILL_ALL).execute(db);
  await sql`create trigger experiment_member_facts_covariates before insert on experiment_member_facts
    for each row execute function experiment_facts_fill_covariates()`.execute(db);
  await sql`create trigger orders_experiment_covariates after insert or delete on orders
    for each row execute function experiment_facts_covariates_on_order()`.execute(db);
  await sql`create trigger orders_experiment_covariates_update after update of occurred_at, member_id, source on orders
    for each row when ((old.occurred_at, old.member_id, old.source) is distinct from (new.occurred_at, new.member_id, new.source))
    execute function experiment_facts_covariates_on_order()`.execute(db);
  await sql`create trigger referrals_experiment_covariates after insert or delete on referrals
    for each row execute function experiment_facts_covariates_on_referral()`.execute(db);
  await sql`create trigger referrals_experiment_covariates_update after update of created_at, member_id on referrals
    for each row when ((old.created_at, old.member_id) is distinct from (new.created_at, new.member_id))
    execute function experiment_facts_covariates_on_referral()`.execute(db);
  await sql`select experiment_member_facts_fill_covariates(id) from merchants where exists (select 1 from experiment_member_facts f where f.merchant_id = merchants.id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger referrals_experiment_covariates_update on referrals`.execute(db);
  await sql`drop trigger referrals_experiment_covariates on referrals`.execute(db);
  await sql`drop trigger orders_experiment_covariates_update on orders`.execute(db);
  await sql`drop trigger orders_experiment_covariates on orders`.execute(db);
  await sql`drop trigger experiment_member_facts_covariates on experiment_member_facts`.execute(db);
  for (const f of ["experiment_member_facts_fill_covariates(text)", "experiment_facts_covariates_on_referral()", "experiment_facts_covariates_on_order()",
    "experiment_facts_refresh_covariates(text, text, timestamptz)", "experiment_facts_fill_covariates()", "experiment_facts_covariates(text, text, timestamptz)"]) {
    await sql.raw(`drop function ${f}`).execute(db);
  }
  await sql`alter table experiment_member_facts drop column z_orders, drop column z_recency, drop column z_tenure, drop column z_referred, drop column z_stripe`.execute(db);
}
