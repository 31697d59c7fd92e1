import { sql, type Kysely } from "kysely";

/**
 * Referral program (issue 5). Frozen in time: never import app code here.
 *
 *  referral_programs   one row per merchant: the program's settings (validated by app/domain/referrals/settings.ts).
 *  referral_nodes      the attribution forest, indexed for whole-subtree and ancestor queries (see below).
 *  referrals           one row per referred member: how they were attributed, the fraud facts, the status.
 *  referral_clicks     landing-page visits (the funnel, and the click facts a sign-up is matched to).
 *  referral_payouts    one row per (referral, beneficiary role, level): the ledger journal or catalog grant, reversal.
 *  referral_reviews    fraud review items and their audited decisions.
 *  referral_blocks     referrers blocked by a review decision: their links attribute nothing any more.
 *  referral_invites    e-mail invites sent by members (rate limit and history).
 *
 * Tree storage. A materialized path from the root is quadratic on a 10,000-deep chain, and a recursive CTE over a
 * 100,000-member subtree is too slow. referral_nodes keeps a path that restarts every 64 levels at an "anchor"
 * (depth % 64 = 0; roots are anchors): `seg_path` is the dot-joined node numbers from the member's anchor down to
 * the member, compared with collation "C" so "a subtree within a segment" is one btree range scan
 * (path = p or p.'.' < path < p.'/'). A subtree spanning several segments adds the anchors below it — found by their
 * parent's path (`parent_seg_path`) and then by a short recursion over anchors only (`parent_anchor_no`) — and every
 * node whose `anchor_no` is one of them. Paths stay ≤ 64 labels, so storage is linear. Nodes are maintained by a
 * trigger on referral_edges: only a leaf may be attached or moved (moving a member with referrals of its own would
 * rewrite its whole network), which also makes cycles impossible.
 */
const TENANT_TABLES = [
  "referral_programs",
  "referral_nodes",
  "referral_clicks",
  "referrals",
  "referral_payouts",
  "referral_reviews",
  "referral_blocks",
  "referral_invites",
] as const;

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table referral_programs (
      merchant_id text primary key references merchants(id) on delete cascade,
      settings jsonb not null,
      updated_at timestamptz not null default now(),
      updated_by text
    )`.execute(db);

  // ---- tree index -------------------------------------------------------------------------------------------
  await sql`create sequence referral_node_seq`.execute(db);
  await sql`
    create table referral_nodes (
      merchant_id text not null,
      member_id text not null,
      node_no bigint not null,
      depth integer not null check (depth >= 0),
      anchor_no bigint not null,
      seg_path text collate "C" not null check (seg_path ~ '^[0-9]+(\\.[0-9]+)*$'),
      -- Anchors below a root only: where they hang in the segment above.
      parent_seg_path text collate "C",
      parent_anchor_no bigint,
      -- Copies of member_stats (kept by a trigger there) so a 100,000-member subtree aggregates without a join.
      spend_minor bigint not null default 0,
      cltv_minor bigint,
      primary key (merchant_id, member_id),
      unique (merchant_id, node_no),
      foreign key (merchant_id, member_id) references members (merchant_id, id) on delete cascade
    )`.execute(db);
  await sql`create index referral_nodes_path_idx on referral_nodes (merchant_id, seg_path) include (depth, spend_minor, cltv_minor)`.execute(db);
  await sql`create index referral_nodes_anchor_idx on referral_nodes (merchant_id, anchor_no) include (depth, spend_minor, cltv_minor)`.execute(db);
  await sql`create index referral_nodes_parent_path_idx on referral_nodes (merchant_id, parent_seg_path) where parent_seg_path is not null`.execute(db);
  await sql`create index referral_nodes_parent_anchor_idx on referral_nodes (merchant_id, parent_anchor_no) where parent_anchor_no is not null`.execute(db);

  // Places `p_member` under `p_referrer` (creating the referrer's root node if needed) and returns the member's depth.
  // The backfill below attaches existing edges parents-first, when children exist already (p_leaf_only = false).
  await sql`
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
    end $$`.execute(db);
  await sql`
    create function referral_edges_on_change() returns trigger language plpgsql as $$
    begin
      if tg_op = 'UPDATE' and new.referrer_id = old.referrer_id then
        new.depth := old.depth;
        return new;
      end if;
      new.depth := referral_node_attach(new.merchant_id, new.member_id, new.referrer_id);
      return new;
    end $$`.execute(db);
  await sql`create trigger referral_edges_nodes before insert or update of referrer_id, depth on referral_edges
    for each row execute function referral_edges_on_change()`.execute(db);
  await sql`
    create function referral_nodes_on_stats() returns trigger language plpgsql as $$
    begin
      update referral_nodes set spend_minor = new.lifetime_spend_minor, cltv_minor = coalesce(new.cltv_36m_minor, new.cltv_12m_minor)
        where merchant_id = new.merchant_id and member_id = new.member_id
          and (spend_minor, cltv_minor) is distinct from (new.lifetime_spend_minor, coalesce(new.cltv_36m_minor, new.cltv_12m_minor));
      return null;
    end $$`.execute(db);
  await sql`create trigger member_stats_referral_nodes after insert or update of lifetime_spend_minor, cltv_12m_minor, cltv_36m_minor
    on member_stats for each row execute function referral_nodes_on_stats()`.execute(db);
  // Edges that exist already (none in practice: the edge table is new), parents first.
  await sql`
    do $$
    declare e record;
    begin
      for e in select merchant_id, member_id, referrer_id from referral_edges order by depth, created_at loop
        perform referral_node_attach(e.merchant_id, e.member_id, e.referrer_id, false);
      end loop;
    end $$`.execute(db);

  // ---- clicks, referrals, payouts ------------------------------------------------------------------------------
  await sql`
    create table referral_clicks (
      merchant_id text not null references merchants(id) on delete cascade,
      id text not null,
      code citext not null check (length(code) <= 16),
      referrer_id text not null,
      device_id text check (length(device_id) <= 100),
      ip text check (length(ip) <= 64),
      user_agent text check (length(user_agent) <= 500),
      landed_at timestamptz not null default now(),
      primary key (merchant_id, id),
      foreign key (merchant_id, referrer_id) references members (merchant_id, id) on delete cascade
    )`.execute(db);
  await sql`create index referral_clicks_landed_idx on referral_clicks (merchant_id, landed_at)`.execute(db);
  await sql`create index referral_clicks_referrer_idx on referral_clicks (merchant_id, referrer_id, landed_at)`.execute(db);
  await sql`create index referral_clicks_device_idx on referral_clicks (merchant_id, device_id) where device_id is not null`.execute(db);

  await sql`
    create table referrals (
      merchant_id text not null references merchants(id) on delete cascade,
      id text not null,
      -- The referred member (the friend): one referral per member.
      member_id text not null,
      referrer_id text not null check (referrer_id <> member_id),
      code citext,
      via text not null check (via in ('cookie','code','api','stripe','staff')),
      status text not null default 'pending'
        check (status in ('pending','flagged','qualified','rewarded','rejected','void')),
      -- Why it is flagged / rejected / void (reason codes, see app/domain/referrals/fraud.server.ts).
      reasons text[] not null default '{}',
      click_id text,
      device_id text check (length(device_id) <= 100),
      ip text check (length(ip) <= 64),
      user_agent text check (length(user_agent) <= 500),
      qualifying_order_id text,
      qualified_at timestamptz,
      hold_until timestamptz,
      rewarded_at timestamptz,
      voided_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (merchant_id, id),
      unique (merchant_id, member_id),
      foreign key (merchant_id, member_id) references members (merchant_id, id) on delete cascade,
      foreign key (merchant_id, referrer_id) references members (merchant_id, id) on delete cascade,
      foreign key (merchant_id, qualifying_order_id) references orders (merchant_id, id)
    )`.execute(db);
  await sql`create index referrals_referrer_idx on referrals (merchant_id, referrer_id, created_at)`.execute(db);
  await sql`create index referrals_status_idx on referrals (merchant_id, status, created_at)`.execute(db);
  await sql`create index referrals_hold_idx on referrals (hold_until) where status = 'qualified'`.execute(db);
  await sql`create index referrals_order_idx on referrals (merchant_id, qualifying_order_id) where qualifying_order_id is not null`.execute(db);
  await sql`create index referrals_ip_idx on referrals (merchant_id, ip, created_at) where ip is not null`.execute(db);

  await sql`
    create table referral_payouts (
      merchant_id text not null references merchants(id) on delete cascade,
      id text not null,
      referral_id text not null,
      beneficiary_id text not null,
      role text not null check (role in ('friend','referrer','ancestor')),
      -- 0 the friend, 1 the direct referrer, 2.. ancestors above.
      level integer not null check (level >= 0),
      kind text not null check (kind in ('points','reward')),
      points integer check (points > 0),
      reward_id text,
      journal_id text,
      redemption_id text,
      -- pending: a catalog reward waiting for the hold period to end; paid; reversed (refund inside the hold period).
      status text not null check (status in ('pending','paid','reversed')),
      reversal_journal_id text,
      digested_at timestamptz,
      created_at timestamptz not null default now(),
      reversed_at timestamptz,
      primary key (merchant_id, id),
      unique (merchant_id, referral_id, role, level),
      foreign key (merchant_id, referral_id) references referrals (merchant_id, id) on delete cascade,
      foreign key (merchant_id, beneficiary_id) references members (merchant_id, id) on delete cascade,
      check ((kind = 'points') = (points is not null)),
      check ((kind = 'reward') = (reward_id is not null))
    )`.execute(db);
  await sql`create index referral_payouts_beneficiary_idx on referral_payouts (merchant_id, beneficiary_id, role, created_at)`.execute(db);
  await sql`create index referral_payouts_digest_idx on referral_payouts (merchant_id, beneficiary_id) where role = 'ancestor' and digested_at is null`.execute(db);

  await sql`
    create table referral_reviews (
      merchant_id text not null references merchants(id) on delete cascade,
      id text not null,
      referral_id text not null,
      reasons text[] not null check (cardinality(reasons) >= 1),
      status text not null default 'open' check (status in ('open','decided')),
      decision text check (decision in ('approve','reject','block_referrer')),
      note text check (length(note) <= 1000),
      decided_by text,
      decided_at timestamptz,
      created_at timestamptz not null default now(),
      primary key (merchant_id, id),
      foreign key (merchant_id, referral_id) references referrals (merchant_id, id) on delete cascade,
      check ((status = 'decided') = (decision is not null))
    )`.execute(db);
  // At most one open review per referral.
  await sql`create unique index referral_reviews_open_key on referral_reviews (merchant_id, referral_id) where status = 'open'`.execute(db);
  await sql`create index referral_reviews_status_idx on referral_reviews (merchant_id, status, created_at)`.execute(db);

  await sql`
    create table referral_blocks (
      merchant_id text not null,
      member_id text not null,
      reason text not null check (length(reason) between 1 and 500),
      blocked_by text,
      created_at timestamptz not null default now(),
      primary key (merchant_id, member_id),
      foreign key (merchant_id, member_id) references members (merchant_id, id) on delete cascade
    )`.execute(db);

  await sql`
    create table referral_invites (
      merchant_id text not null,
      id text not null,
      member_id text not null,
      to_email citext not null check (length(to_email) <= 254),
      note text check (length(note) <= 500),
      sent_at timestamptz not null default now(),
      primary key (merchant_id, id),
      foreign key (merchant_id, member_id) references members (merchant_id, id) on delete cascade
    )`.execute(db);
  await sql`create index referral_invites_member_idx on referral_invites (merchant_id, member_id, sent_at)`.execute(db);

  // ---- privileges and row level security ------------------------------------------------------------------------
  for (const t of TENANT_TABLES) {
    await sql`grant select, insert, update, delete on ${sql.table(t)} to perennial_app`.execute(db);
    await sql`alter table ${sql.table(t)} enable row level security`.execute(db);
    await sql`
      create policy tenant_isolation on ${sql.table(t)}
        using (merchant_id = current_setting('app.merchant_id', true))
        with check (merchant_id = current_setting('app.merchant_id', true))`.execute(db);
  }
  await sql`grant usage on sequence referral_node_seq to perennial_app`.execute(db);
  // Payouts are history: the app marks them reversed or digested but never deletes them.
  await sql`revoke delete on referral_payouts, referral_reviews from perennial_app`.execute(db);

  // The hold-period job must find due referrals before it knows the tenant; this door returns only ids.
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
  // The short share link /r/<code> names no merchant; codes are unique per merchant only. Returns just the
  // programs (slug, name) that have the code, never who owns it.
  await sql`
    create function referral_code_merchants(p_code text)
      returns table (slug text, name text)
      language sql stable security definer set search_path = public, pg_temp as $$
        select m.slug, m.name from referral_codes c join merchants m on m.id = c.merchant_id
          where c.code = p_code::citext order by m.created_at limit 5
      $$`.execute(db);
  for (const f of ["referral_due_work(timestamptz, integer)", "referral_digest_work(integer)", "referral_code_merchants(text)"]) {
    await sql`revoke all on function ${sql.raw(f)} from public`.execute(db);
    await sql`grant execute on function ${sql.raw(f)} to perennial_app`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop function if exists referral_code_merchants(text)`.execute(db);
  await sql`drop function if exists referral_due_work(timestamptz, integer)`.execute(db);
  await sql`drop function if exists referral_digest_work(integer)`.execute(db);
  await sql`drop trigger if exists referral_edges_nodes on referral_edges`.execute(db);
  await sql`drop trigger if exists member_stats_referral_nodes on member_stats`.execute(db);
  await sql`drop function if exists referral_nodes_on_stats()`.execute(db);
  await sql`drop function if exists referral_edges_on_change()`.execute(db);
  for (const t of [...TENANT_TABLES].reverse()) await sql`drop table if exists ${sql.table(t)} cascade`.execute(db);
  await sql`drop function if exists referral_node_attach(text, text, text, boolean)`.execute(db);
  await sql`drop sequence if exists referral_node_seq`.execute(db);
}
