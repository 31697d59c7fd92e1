import { promises as fs } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Kysely, Migrator, PostgresDialect, sql, type Migration } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { adminQuery, withDatabase } from "../../support/global-setup";

/**
 * Migration 2026-12-07T0700_costs_at_use is reversible like the project's other migrations: on a fresh database,
 * migrating up to it and back leaves the schema exactly as before it (columns, indexes, triggers, function bodies),
 * and up again works. A facts row written under it is recomputed in the earlier meaning by down() (a fixed code
 * counted at its face value at grant, as before), and in the new meaning again by up().
 */

const admin = inject("pgAdminUrl");
const runId = inject("runId");
const dbName = `perennial_costs_down_${runId}`.toLowerCase();
const BEFORE = "2026-12-07T0400_program_summaries";
const TARGET = "2026-12-07T0700_costs_at_use";
const DIR = path.resolve("db/migrations");

let db: Kysely<unknown>;
let migrator: Migrator;

beforeAll(async () => {
  await adminQuery(admin, `create database "${dbName}"`);
  db = new Kysely<unknown>({
    dialect: new PostgresDialect({
      pool: new pg.Pool({
        connectionString: withDatabase(admin, dbName),
        max: 1,
      }),
    }),
  });
  migrator = new Migrator({
    db,
    provider: {
      async getMigrations() {
        const files = (await fs.readdir(DIR)).filter((f) => f.endsWith(".ts")).sort();
        const out: Record<string, Migration> = {};
        for (const f of files) out[f.replace(/\.ts$/, "")] = (await import(pathToFileURL(path.join(DIR, f)).href)) as Migration;
        return out;
      },
    },
  });
}, 120_000);

afterAll(async () => {
  await db?.destroy();
  await adminQuery(admin, `drop database if exists "${dbName}" with (force)`);
});

async function migrateTo(name: string) {
  const { error } = await migrator.migrateTo(name);
  if (error) throw error;
}

/** The schema as far as this migration touches it; function bodies compared without comments and spacing. */
async function catalog() {
  const norm = (t: string) =>
    t
      .replace(/--[^\n]*/g, "")
      .replace(/\s+/g, " ")
      .trim();
  const columns = await sql<{ c: string }>`
    select table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') as c
    from information_schema.columns where table_schema = 'public' order by 1`.execute(db);
  const indexes = await sql<{
    d: string;
  }>`select indexdef as d from pg_indexes where schemaname = 'public' order by 1`.execute(db);
  const triggers = await sql<{
    d: string;
  }>`select pg_get_triggerdef(t.oid) as d from pg_trigger t where not t.tgisinternal order by 1`.execute(db);
  const functions = await sql<{ name: string; d: string }>`
    select p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' as name, pg_get_functiondef(p.oid) as d
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'public' and p.prokind = 'f' order by 1`.execute(db);
  const checks = await sql<{
    d: string;
  }>`select conrelid::regclass || ' ' || pg_get_constraintdef(oid) as d from pg_constraint where connamespace = 'public'::regnamespace order by 1`.execute(db);
  return {
    columns: columns.rows.map((r) => r.c),
    indexes: indexes.rows.map((r) => r.d),
    triggers: triggers.rows.map((r) => r.d),
    functions: Object.fromEntries(functions.rows.map((r) => [r.name, norm(r.d)])),
    constraints: checks.rows.map((r) => r.d),
  };
}

/** A merchant with an experiment, a member assigned before a fixed 5.00 code is granted to them (never used). */
async function seedFixedCode() {
  await sql`insert into merchants (id, slug, name, currency, timezone) values ('mer_down', 'down', 'Down Co', 'USD', 'UTC')`.execute(db);
  await sql`insert into members (merchant_id, id, email) values ('mer_down', 'mbr_down', 'd@example.com')`.execute(db);
  await sql`insert into experiments (merchant_id, id, kind, name, holdout_bps) values ('mer_down', 'exp_down', 'loyalty_program', 'Holdout', 1000)`.execute(db);
  await sql`insert into experiment_arms (merchant_id, experiment_id, arm, is_control) values ('mer_down', 'exp_down', 'treatment', false), ('mer_down', 'exp_down', 'control', true)`.execute(
    db,
  );
  await sql`insert into experiment_assignments (merchant_id, experiment_id, member_id, arm, source, assigned_at)
    values ('mer_down', 'exp_down', 'mbr_down', 'treatment', 'random', now() - interval '10 days')`.execute(db);
  await sql`insert into rewards (merchant_id, id, name, kind, points_cost, discount_minor) values ('mer_down', 'rwd_down', '5 off', 'fixed_discount', 500, 500)`.execute(
    db,
  );
  await sql`insert into reward_redemptions (merchant_id, id, member_id, reward_id, kind, reward_name, points_spent, discount_minor, code, status, source, idempotency_key)
    values ('mer_down', 'red_down', 'mbr_down', 'rwd_down', 'fixed_discount', '5 off', 0, 500, 'DOWN-FIVE', 'issued', 'gift', 'down-1')`.execute(db);
}

const rewardsMinor = async () =>
  Number(
    (
      await sql<{
        r: string;
      }>`select rewards_minor as r from experiment_member_facts where merchant_id = 'mer_down' and member_id = 'mbr_down'`.execute(db)
    ).rows[0]!.r,
  );

describe("2026-12-07T0700_costs_at_use down()", () => {
  it("puts back the schema as it was before, and up() works again after it", async () => {
    await migrateTo(BEFORE);
    const before = await catalog();
    await seedFixedCode();
    // Before the migration an unused fixed code counted its face value at grant.
    expect(await rewardsMinor()).toBe(500);

    await migrateTo(TARGET);
    const up = await catalog();
    expect(up).not.toEqual(before);
    expect(await rewardsMinor()).toBe(0);

    await migrateTo(BEFORE);
    expect(await catalog()).toEqual(before);
    expect(await rewardsMinor()).toBe(500);

    await migrateTo(TARGET);
    expect(await catalog()).toEqual(up);
    expect(await rewardsMinor()).toBe(0);
  }, 180_000);
});
