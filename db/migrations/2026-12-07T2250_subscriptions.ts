import { sql, type Kysely } from "kysely";

/**
 * Subscription businesses (issue 16 §5): what Stripe says about each subscription and its invoices, so MRR, churn and
 * retention per monthly cohort, and the shifted-beta-geometric model, are computed from observed churn rather than
 * from purchases. Frozen in time: never import app code here.
 *
 *  subscriptions          one row per Stripe subscription: the latest state Stripe sent (customer.subscription.*),
 *                         the plan's amount per interval and its monthly equivalent (mrr_minor), when it started and
 *                         when it was canceled / ended; the member once the customer is known (linked by the Stripe
 *                         customer id through a paid invoice's e-mail). `stripe_event_at` is the `created` time of the
 *                         event the state came from: an older event delivered late does not overwrite a newer one.
 *  subscription_invoices  one row per invoice of a subscription (invoice.paid / invoice.payment_failed): amount,
 *                         status (paid wins over failed, whatever the order of delivery). Revenue only: the order and
 *                         its points are the existing invoice.paid handling's, never counted twice.
 */
const TENANT_TABLES = ["subscriptions", "subscription_invoices"] as const;

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table subscriptions (
      merchant_id text not null references merchants(id) on delete cascade,
      stripe_subscription_id text not null,
      stripe_customer_id text not null,
      member_id text,
      status text not null,
      currency text not null,
      plan_amount_minor bigint not null check (plan_amount_minor >= 0),
      plan_interval text not null check (plan_interval in ('day', 'week', 'month', 'year')),
      plan_interval_count integer not null check (plan_interval_count between 1 and 1000),
      -- The plan's amount per month (minor units, rounded): the subscription's contribution to MRR while active.
      mrr_minor bigint not null check (mrr_minor >= 0),
      started_at timestamptz not null,
      canceled_at timestamptz,
      ended_at timestamptz,
      stripe_event_at timestamptz not null,
      updated_at timestamptz not null,
      primary key (merchant_id, stripe_subscription_id),
      foreign key (merchant_id, member_id) references members (merchant_id, id) on delete cascade
    )`.execute(db);
  // The cohort and MRR queries scan a merchant's subscriptions by start; the member link by customer.
  await sql`create index subscriptions_started on subscriptions (merchant_id, started_at)`.execute(db);
  await sql`create index subscriptions_customer on subscriptions (merchant_id, stripe_customer_id)`.execute(db);
  await sql`
    create table subscription_invoices (
      merchant_id text not null references merchants(id) on delete cascade,
      invoice_id text not null,
      stripe_subscription_id text not null,
      stripe_customer_id text,
      customer_email text,
      status text not null check (status in ('paid', 'failed')),
      amount_minor bigint not null check (amount_minor >= 0),
      currency text not null,
      occurred_at timestamptz not null,
      failed_attempts integer not null default 0,
      primary key (merchant_id, invoice_id)
    )`.execute(db);
  await sql`create index subscription_invoices_subscription on subscription_invoices (merchant_id, stripe_subscription_id)`.execute(db);
  await sql`create index subscription_invoices_customer on subscription_invoices (merchant_id, stripe_customer_id)`.execute(db);

  for (const t of TENANT_TABLES) {
    await sql`grant select, insert, update, delete on ${sql.table(t)} to perennial_app`.execute(db);
    await sql`alter table ${sql.table(t)} enable row level security`.execute(db);
    await sql`
      create policy tenant_isolation on ${sql.table(t)}
        using (merchant_id = current_setting('app.merchant_id', true))
        with check (merchant_id = current_setting('app.merchant_id', true))`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of [...TENANT_TABLES].reverse()) await sql`drop table if exists ${sql.table(t)} cascade`.execute(db);
}
