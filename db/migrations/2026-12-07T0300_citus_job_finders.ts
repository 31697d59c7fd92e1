import { sql, type Kysely } from "kysely";

/**
 * The jobs' work finders and the referral review merge follow the Citus rules (docs/scale-out.md, issue 15).
 * Frozen in time: never import app code here.
 *
 *  ledger_due_lots, referral_due_work, referral_digest_work
 *      were one scan of a tenant table across every merchant (a multi-shard query on Citus). They now take the
 *      merchant (p_merchant_id, first, so `db distribute` can distribute them by it) and the jobs call them once per
 *      merchant from the `merchants` reference table. Still SECURITY DEFINER doors that return ids only: the jobs
 *      find work outside any tenant. Their indexes lead with merchant_id, so a merchant with nothing due costs one
 *      empty index probe.
 *  text_array_union
 *      openReview merged the reasons of an already open review with a subquery in ON CONFLICT DO UPDATE, which Citus
 *      refuses; an IMMUTABLE function over the two arrays does the same merge and is allowed there.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create function text_array_union(a text[], b text[]) returns text[]
      language sql immutable parallel safe as $$
        select array(select distinct x from unnest(a || b) as u(x) order by x)
    $$`.execute(db);
  await sql`grant execute on function text_array_union(text[], text[]) to perennial_app`.execute(db);

  await sql`drop function ledger_due_lots(timestamptz, integer)`.execute(db);
  await sql`drop function referral_due_work(timestamptz, integer)`.execute(db);
  await sql`drop function referral_digest_work(integer)`.execute(db);

  // Replaced by merchant-led twins: the finders now ask about one merchant at a time.
  await sql`drop index point_lots_release_idx`.execute(db);
  await sql`drop index point_lots_expiry_idx`.execute(db);
  await sql`drop index referrals_hold_idx`.execute(db);
  await sql`create index point_lots_release_idx on point_lots (merchant_id, pending_until) where released_at is null`.execute(db);
  await sql`create index point_lots_expiry_idx on point_lots (merchant_id, expires_at) where remaining > 0 and expires_at is not null`.execute(db);
  await sql`create index referrals_hold_idx on referrals (merchant_id, hold_until) where status = 'qualified'`.execute(db);
  // referral_payouts_digest_idx (merchant_id, beneficiary_id) where role = 'ancestor' and digested_at is null: already merchant-led.

  await sql`
    create function ledger_due_lots(p_merchant_id text, p_now timestamptz, p_limit integer)
      returns table (member_id text)
      language sql stable security definer set search_path = public, pg_temp as $$
        (select l.member_id from point_lots l
          where l.merchant_id = p_merchant_id and l.released_at is null and l.pending_until <= p_now)
        union
        (select l.member_id from point_lots l
          where l.merchant_id = p_merchant_id and l.remaining > 0 and l.expires_at <= p_now)
        limit p_limit
    $$`.execute(db);
  await sql`
    create function referral_due_work(p_merchant_id text, p_now timestamptz, p_limit integer)
      returns table (referral_id text)
      language sql stable security definer set search_path = public, pg_temp as $$
        select r.id from referrals r
          where r.merchant_id = p_merchant_id and r.status = 'qualified' and r.hold_until <= p_now
          order by r.hold_until limit p_limit
    $$`.execute(db);
  await sql`
    create function referral_digest_work(p_merchant_id text, p_limit integer)
      returns table (member_id text)
      language sql stable security definer set search_path = public, pg_temp as $$
        select distinct p.beneficiary_id from referral_payouts p
          where p.merchant_id = p_merchant_id and p.role = 'ancestor' and p.digested_at is null
          limit p_limit
    $$`.execute(db);
  for (const f of ["ledger_due_lots(text, timestamptz, integer)", "referral_due_work(text, timestamptz, integer)", "referral_digest_work(text, integer)"]) {
    await sql`revoke all on function ${sql.raw(f)} from public`.execute(db);
    await sql`grant execute on function ${sql.raw(f)} to perennial_app`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop function if exists ledger_due_lots(text, timestamptz, integer)`.execute(db);
  await sql`drop function if exists referral_due_work(text, timestamptz, integer)`.execute(db);
  await sql`drop function if exists referral_digest_work(text, integer)`.execute(db);
  await sql`drop index if exists point_lots_release_idx`.execute(db);
  await sql`drop index if exists point_lots_expiry_idx`.execute(db);
  await sql`drop index if exists referrals_hold_idx`.execute(db);
  await sql`create index point_lots_release_idx on point_lots (pending_until) where released_at is null`.execute(db);
  await sql`create index point_lots_expiry_idx on point_lots (expires_at) where remaining > 0 and expires_at is not null`.execute(db);
  await sql`create index referrals_hold_idx on referrals (hold_until) where status = 'qualified'`.execute(db);
  await sql`
    create function ledger_due_lots(p_now timestamptz, p_limit integer)
      returns table (merchant_id text, member_id text, why text)
      language sql stable security definer set search_path = public, pg_temp as $$
        (select distinct l.merchant_id, l.member_id, 'release' from point_lots l
          where l.released_at is null and l.pending_until <= p_now limit p_limit)
        union
        (select distinct l.merchant_id, l.member_id, 'expire' from point_lots l
          where l.remaining > 0 and l.expires_at <= p_now limit p_limit)
    $$`.execute(db);
  await sql`
    create function referral_due_work(p_now timestamptz, p_limit integer)
      returns table (merchant_id text, referral_id text)
      language sql stable security definer set search_path = public, pg_temp as $$
        select r.merchant_id, r.id from referrals r
          where r.status = 'qualified' and r.hold_until <= p_now
          order by r.hold_until limit p_limit
      $$`.execute(db);
  await sql`
    create function referral_digest_work(p_limit integer)
      returns table (merchant_id text, member_id text)
      language sql stable security definer set search_path = public, pg_temp as $$
        select distinct p.merchant_id, p.beneficiary_id from referral_payouts p
          where p.role = 'ancestor' and p.digested_at is null limit p_limit
      $$`.execute(db);
  for (const f of ["ledger_due_lots(timestamptz, integer)", "referral_due_work(timestamptz, integer)", "referral_digest_work(integer)"]) {
    await sql`revoke all on function ${sql.raw(f)} from public`.execute(db);
    await sql`grant execute on function ${sql.raw(f)} to perennial_app`.execute(db);
  }
  // The reasons merge goes back to the app's subquery with the code of that time; the function is only dropped.
  await sql`drop function if exists text_array_union(text[], text[])`.execute(db);
}
