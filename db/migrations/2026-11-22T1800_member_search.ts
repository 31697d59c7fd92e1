import { sql, type Kysely } from "kysely";

/**
 * Member search that stays fast under Row Level Security. Frozen in time: never import app code here.
 *
 * Why a function: the app role runs under FORCED RLS, and PostgreSQL will not use a non-LEAKPROOF operator (ILIKE) as
 * an index condition on such a table, so every search was a sequential scan of the merchant's members. A SECURITY
 * DEFINER function runs as the migrating user (the table owner, which bypasses RLS when it is a superuser or has
 * BYPASSRLS), so inside it the trigram index members_search_trgm is usable again.
 *
 * What keeps it safe:
 *  - the merchant comes from the transaction's app.merchant_id setting (set by withTenant), never from a parameter,
 *    and with no tenant set the functions return nothing; every statement also filters on merchant_id explicitly;
 *  - it returns only member ids and sort keys; the caller joins them back to members under RLS;
 *  - user input reaches SQL only as bound parameters (EXECUTE ... USING), and the search text is matched literally;
 *  - search_path is pinned to public, pg_temp (pg_temp last, so a temporary table cannot shadow members or orders).
 *
 * Why plpgsql with EXECUTE ... USING: a dynamic statement is planned on every call with the actual values, so the
 * planner sees the search pattern's selectivity: walk members_created_idx newest-first and stop at the page size
 * (common terms), or the trigram index then sort (rare terms). The whole page (filters, cursor, ORDER BY, LIMIT)
 * happens inside; a function returning every matching id would be slow for terms that match everyone.
 */

// Parameters shared by both functions, in order: search text, status, joined from (inclusive), joined before
// (exclusive), has orders. Null means "no filter".
const FILTER_ARGS = "text, text, timestamptz, timestamptz, boolean";
const PAGE_FN = `member_search_page(${FILTER_ARGS}, timestamptz, text, boolean, integer)`;
const COUNT_FN = `member_search_count(${FILTER_ARGS}, integer)`;
const WHERE_FN = "member_search_where(text, text, timestamptz, timestamptz, boolean)";
const PATTERN_FN = "member_search_pattern(text)";

export async function up(db: Kysely<any>): Promise<void> {
  // Indexes for dashboards/reports over a merchant's orders by time and for a member's audit trail.
  await sql`create index orders_occurred_idx on orders (merchant_id, occurred_at)`.execute(db);
  await sql`create index audit_log_target_idx on audit_log (merchant_id, target_type, target_id, created_at desc)`.execute(db);

  // The ILIKE pattern for a search text: wildcards and the escape character are literal. Under 3 characters there are
  // no trigrams to search with, so a short text is an e-mail prefix; it is matched against the start of the indexed
  // expression, which begins with the e-mail (equivalent, and the trigram index can still serve it).
  await sql`
    create function member_search_pattern(p_q text) returns text
    language sql immutable strict set search_path = public, pg_temp as $$
      select case when length(p_q) < 3 then e || '%' else '%' || e || '%' end
      from (select replace(replace(replace(p_q, E'\\\\', E'\\\\\\\\'), '%', E'\\\\%'), '_', E'\\\\_') as e) s
    $$`.execute(db);

  // The WHERE clause for the given filters, referring to $1 merchant id, $2 pattern, $3 status, $4 joined from,
  // $5 joined before. Only fixed SQL text is concatenated here; values always travel as parameters.
  await sql`
    create function member_search_where(p_q text, p_status text, p_joined_from timestamptz, p_joined_before timestamptz, p_has_orders boolean)
    returns text
    language plpgsql immutable set search_path = public, pg_temp as $$
    declare
      w text := 'm.merchant_id = $1';
      has_orders text := 'exists (select 1 from public.orders o where o.merchant_id = m.merchant_id and o.member_id = m.id)';
    begin
      if p_q is not null and p_q <> '' then
        -- Byte for byte the expression of the index members_search_trgm.
        w := w || ' and (m.email::text || '' '' || coalesce(m.name, '''') || '' '' || coalesce(m.external_id, '''')) ilike $2';
      end if;
      if p_status is not null then w := w || ' and m.status = $3'; end if;
      if p_joined_from is not null then w := w || ' and m.created_at >= $4'; end if;
      if p_joined_before is not null then w := w || ' and m.created_at < $5'; end if;
      if p_has_orders is not null then
        w := w || case when p_has_orders then ' and ' else ' and not ' end || has_orders;
      end if;
      return w;
    end $$`.execute(db);

  // One page of matches, newest first on (created_at, id), keyset-paginated. p_backward walks towards newer rows
  // from the cursor. At most 1000 rows per call; rows come out in page order (newest first either way).
  //
  // Two steps, because a single ORDER BY ... LIMIT query lets the planner bet on walking members_created_idx until
  // the page is full, and that bet is lost badly when the matches are rarer than it estimates (a rare term, or a
  // term combined with a filter it happens to be correlated with: it then reads every member):
  //  1. walk members_created_idx over the next `window` rows (100 × the page, so any term matching ≥ 1% fills the
  //     page here) and keep the matches; done if the page is full or the merchant has no more rows than that;
  //  2. otherwise the matches are sparse: all of them are collected without a LIMIT (the planner then picks the
  //     trigram index for a rare term, or the created index for a merchant with few members) and sorted.
  // Every statement is planned with the call's actual values (EXECUTE ... USING), so the estimates see the term.
  await sql`
    create function member_search_page(
      p_q text, p_status text, p_joined_from timestamptz, p_joined_before timestamptz, p_has_orders boolean,
      p_cursor_created_at timestamptz, p_cursor_id text, p_backward boolean, p_limit integer)
    returns table (id text, created_at timestamptz)
    language plpgsql stable security definer set search_path = public, pg_temp as $$
    declare
      v_merchant text := nullif(current_setting('app.merchant_id', true), '');
      v_backward boolean := coalesce(p_backward, false);
      v_limit integer := least(greatest(coalesce(p_limit, 50), 1), 1000);
      v_window integer := greatest(1000, 100 * least(greatest(coalesce(p_limit, 50), 1), 1000));
      v_where text;
      v_after text := '';
      v_order text;
      v_ids text[];
      v_created timestamptz[];
      v_seen integer;
    begin
      if v_merchant is null then return; end if;
      v_where := member_search_where(p_q, p_status, p_joined_from, p_joined_before, p_has_orders);
      if p_cursor_created_at is not null and p_cursor_id is not null then
        v_after := case when v_backward then ' and (w.created_at, w.id) > ($6, $7)' else ' and (w.created_at, w.id) < ($6, $7)' end;
      end if;
      v_order := case when v_backward then ' order by w.created_at asc, w.id asc' else ' order by w.created_at desc, w.id desc' end;

      -- Step 1: the matches among the next v_window rows in page order.
      execute 'select array_agg(p.id order by p.created_at desc, p.id desc), array_agg(p.created_at order by p.created_at desc, p.id desc)'
        || ' from (select m.id, m.created_at from (select w.* from public.members w where w.merchant_id = $1' || v_after || v_order
        || ' limit $9) m where ' || v_where || replace(v_order, 'w.', 'm.') || ' limit $8) p'
        into v_ids, v_created
        using v_merchant, member_search_pattern(p_q), p_status, p_joined_from, p_joined_before,
              p_cursor_created_at, p_cursor_id, v_limit, v_window;
      if coalesce(cardinality(v_ids), 0) < v_limit then
        execute 'select count(*)::int from (select 1 from public.members w where w.merchant_id = $1' || v_after || ' limit $9) s'
          into v_seen
          using v_merchant, null::text, null::text, null::timestamptz, null::timestamptz,
                p_cursor_created_at, p_cursor_id, v_limit, v_window;
        if v_seen >= v_window then
          -- Step 2: sparse matches; MATERIALIZED keeps the ORDER BY ... LIMIT out of the planner's choice of access path.
          execute 'select array_agg(p.id order by p.created_at desc, p.id desc), array_agg(p.created_at order by p.created_at desc, p.id desc)'
            || ' from (with t as materialized (select m.id, m.created_at from public.members m where ' || v_where
            || replace(v_after, 'w.', 'm.') || ') select t.id, t.created_at from t' || replace(v_order, 'w.', 't.') || ' limit $8) p'
            into v_ids, v_created
            using v_merchant, member_search_pattern(p_q), p_status, p_joined_from, p_joined_before,
                  p_cursor_created_at, p_cursor_id, v_limit, v_window;
        end if;
      end if;
      return query select u.id, u.created_at from unnest(v_ids, v_created) as u(id, created_at);
    end $$`.execute(db);

  // How many members match, counting at most p_cap + 1 rows (the caller shows "10,000+").
  await sql`
    create function member_search_count(
      p_q text, p_status text, p_joined_from timestamptz, p_joined_before timestamptz, p_has_orders boolean, p_cap integer)
    returns integer
    language plpgsql stable security definer set search_path = public, pg_temp as $$
    declare
      v_merchant text := nullif(current_setting('app.merchant_id', true), '');
      v_count integer;
    begin
      if v_merchant is null then return 0; end if;
      execute 'select count(*)::int from (select 1 from public.members m where '
          || member_search_where(p_q, p_status, p_joined_from, p_joined_before, p_has_orders)
          || ' limit $6) s'
        into v_count
        using v_merchant, member_search_pattern(p_q), p_status, p_joined_from, p_joined_before,
              least(greatest(coalesce(p_cap, 10000), 0), 100000) + 1;
      return v_count;
    end $$`.execute(db);

  for (const f of [PATTERN_FN, WHERE_FN, PAGE_FN, COUNT_FN]) {
    await sql.raw(`revoke all on function ${f} from public`).execute(db);
  }
  // Only the two entry points; the helpers are called from inside them as the owner.
  for (const f of [PAGE_FN, COUNT_FN]) {
    await sql.raw(`grant execute on function ${f} to perennial_app`).execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const f of [COUNT_FN, PAGE_FN, WHERE_FN, PATTERN_FN]) {
    await sql.raw(`drop function if exists ${f}`).execute(db);
  }
  await sql`drop index if exists audit_log_target_idx`.execute(db);
  await sql`drop index if exists orders_occurred_idx`.execute(db);
}
