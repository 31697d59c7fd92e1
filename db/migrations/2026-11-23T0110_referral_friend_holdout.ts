import { sql, type Kysely } from "kysely";

/**
 * Friend-level holdout of the referral incentive (the report's referral section). Frozen in time: never import app code.
 *
 *  referral_friend_arms       one row per (merchant, landing device): the arm drawn once, with random(), when the
 *                             program's friendHoldoutPercent was > 0 — `offer` (the friend's incentive as usual) or
 *                             `holdout` (the plain join page, no incentive). Sticky: later landings reuse it.
 *  referral_clicks.friend_arm the arm the visit was shown (null while the friend holdout is off).
 *  referrals.friend_arm       `offer` for referrals whose matched click was in the offer arm (null otherwise).
 *  referral_holdout_signups   sign-ups of held-out friends, kept for measurement only: no referral, no tree edge,
 *                             no payout, no e-mail.
 */
const NEW_TABLES = ["referral_friend_arms", "referral_holdout_signups"] as const;

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table referral_friend_arms (
      merchant_id text not null references merchants(id) on delete cascade,
      device_id text not null check (length(device_id) between 1 and 100),
      arm text not null check (arm in ('offer','holdout')),
      assigned_at timestamptz not null default now(),
      primary key (merchant_id, device_id)
    )`.execute(db);
  await sql`create index referral_friend_arms_arm_idx on referral_friend_arms (merchant_id, arm, assigned_at)`.execute(db);

  await sql`alter table referral_clicks add column friend_arm text check (friend_arm in ('offer','holdout'))`.execute(db);
  await sql`create index referral_clicks_friend_arm_idx on referral_clicks (merchant_id, friend_arm, landed_at) where friend_arm is not null`.execute(db);
  await sql`alter table referrals add column friend_arm text check (friend_arm in ('offer','holdout'))`.execute(db);
  await sql`create index referrals_friend_arm_idx on referrals (merchant_id, friend_arm, created_at) where friend_arm is not null`.execute(db);

  await sql`
    create table referral_holdout_signups (
      merchant_id text not null references merchants(id) on delete cascade,
      id text not null,
      member_id text not null,
      referrer_id text not null check (referrer_id <> member_id),
      click_id text not null,
      device_id text not null check (length(device_id) <= 100),
      created_at timestamptz not null default now(),
      primary key (merchant_id, id),
      unique (merchant_id, member_id),
      foreign key (merchant_id, member_id) references members (merchant_id, id) on delete cascade,
      foreign key (merchant_id, referrer_id) references members (merchant_id, id) on delete cascade,
      foreign key (merchant_id, click_id) references referral_clicks (merchant_id, id) on delete cascade
    )`.execute(db);
  await sql`create index referral_holdout_signups_created_idx on referral_holdout_signups (merchant_id, created_at)`.execute(db);

  for (const t of NEW_TABLES) {
    await sql`grant select, insert, update, delete on ${sql.table(t)} to perennial_app`.execute(db);
    await sql`alter table ${sql.table(t)} enable row level security`.execute(db);
    await sql`
      create policy tenant_isolation on ${sql.table(t)}
        using (merchant_id = current_setting('app.merchant_id', true))
        with check (merchant_id = current_setting('app.merchant_id', true))`.execute(db);
  }
  // An arm, once drawn, never changes; measurement rows are history.
  await sql`revoke update, delete on referral_friend_arms, referral_holdout_signups from perennial_app`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of [...NEW_TABLES].reverse()) await sql`drop table if exists ${sql.table(t)} cascade`.execute(db);
  await sql`alter table referrals drop column if exists friend_arm`.execute(db);
  await sql`alter table referral_clicks drop column if exists friend_arm`.execute(db);
}
