import { execFile } from "node:child_process";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSnapshot } from "~/bin/commands/distribute.server";
import {
  ANCHOR,
  foreignKeyRefusal,
  parseForeignKeyDefinition,
  planDistribution,
  verifyDistribution,
  type CatalogSnapshot,
  type SnapshotForeignKey,
} from "~db/distribute";
import { COORDINATOR_TABLES, REFERENCE_TENANT_TABLES } from "~db/distribution";
import { ownerUrl } from "../../support/db";

/**
 * `npm run cli -- db distribute`: the plan on the real migrated schema (every table classified, every foreign key
 * handled, the order Citus needs), idempotence on snapshots of a half-done and a finished distribution, and the
 * command on the embedded PostgreSQL, which has no Citus.
 */

const run = promisify(execFile);
function cli(args: string[]) {
  return run(process.execPath, ["--import", "tsx", "app/bin/cli.ts", "db", "distribute", ...args], { env: { ...process.env, DATABASE_URL: ownerUrl }, timeout: 120_000 }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

let snapshot: CatalogSnapshot;
beforeAll(async () => {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    snapshot = await readSnapshot(async (text, params) => (await client.query(text, params)).rows as Array<Record<string, unknown>>);
  } finally {
    await client.end();
  }
});
afterAll(() => {});

const indexOf = (steps: ReturnType<typeof planDistribution>["steps"], pred: (k: string) => boolean, pick: "first" | "last") => {
  const idx = steps.map((s, i) => (pred(s.kind) ? i : -1)).filter((i) => i >= 0);
  return pick === "first" ? Math.min(...idx) : Math.max(...idx);
};

/** The snapshot as Citus would show it once `done` tables are laid out (their keys kept, the others' remembered). */
function laidOut(base: CatalogSnapshot, done: (table: string) => boolean): CatalogSnapshot {
  const plan = planDistribution(base);
  const tenant = new Set(plan.tenant);
  const reference = new Set(plan.reference);
  const kept = (fk: SnapshotForeignKey) => done(fk.table) && done(fk.refTable);
  return {
    ...base,
    citus: true,
    settings: { ...base.settings, "citus.propagate_set_commands": "local", "citus.enable_unsafe_triggers": "on" },
    appRole: base.appRole && { ...base.appRole, canLogin: true },
    tables: base.tables.map((t) => ({
      ...t,
      citus: !done(t.name) ? null : tenant.has(t.name) ? { type: "distributed", column: "merchant_id", colocationId: 2 } : reference.has(t.name) ? { type: "reference", column: null, colocationId: 1 } : null,
    })),
    foreignKeys: base.foreignKeys.filter(kept),
    pendingForeignKeys: base.foreignKeys.some((fk) => !kept(fk)) ? base.foreignKeys.filter((fk) => !kept(fk)) : null,
    functions: base.functions.map((f) => {
      if (f.returnsTrigger) return { ...f, distributed: { argIndex: null, colocationId: null } };
      if (!done(ANCHOR)) return f;
      const i = f.args.findIndex((a) => a.name === "p_merchant_id" || a.name === "p_merchant");
      return { ...f, distributed: { argIndex: i < 0 ? null : i, colocationId: i < 0 ? null : 2 } };
    }),
  };
}

describe("db distribute: the plan on the migrated schema", () => {
  it("classifies every table once: tenant by merchant_id, the listed exceptions, the rest reference", () => {
    const plan = planDistribution(snapshot);
    const all = snapshot.tables.map((t) => t.name).sort();
    expect([...plan.tenant, ...plan.reference, ...plan.coordinator].sort()).toEqual(all);
    for (const t of snapshot.tables) {
      const expected = COORDINATOR_TABLES.includes(t.name) ? "coordinator" : "merchant_id" in t.columns && !REFERENCE_TENANT_TABLES.includes(t.name) ? "tenant" : "reference";
      const got = plan.tenant.includes(t.name) ? "tenant" : plan.reference.includes(t.name) ? "reference" : "coordinator";
      expect([t.name, got]).toEqual([t.name, expected]);
    }
    expect(plan.tenant).toContain("orders");
    expect(plan.reference).toEqual(expect.arrayContaining(["merchants", "staff_users", "staff_sessions", "login_throttle", ...REFERENCE_TENANT_TABLES]));
    expect(plan.anchor).toBe(ANCHOR);
    expect(plan.blockers).toEqual([]);
  });

  it("drops every foreign key first and re-creates each one Citus allows, in the order Citus needs", () => {
    const plan = planDistribution(snapshot);
    const { steps } = plan;
    expect(snapshot.foreignKeys.length).toBeGreaterThan(50);
    for (const fk of snapshot.foreignKeys) {
      const key = `${fk.table}.${fk.name}`;
      expect(steps.filter((s) => s.kind === "drop-fk" && s.target === key)).toHaveLength(1);
      const readded = steps.some((s) => s.kind === "add-fk" && s.target === key);
      const forgotten = plan.droppedForGood.some((d) => `${d.table}.${d.name}` === key);
      expect([key, readded !== forgotten]).toEqual([key, true]);
    }
    expect(indexOf(steps, (k) => k === "fk-store", "first")).toBeLessThan(indexOf(steps, (k) => k === "drop-fk", "first"));
    expect(indexOf(steps, (k) => k === "drop-fk", "last")).toBeLessThan(indexOf(steps, (k) => k === "reference", "first"));
    expect(indexOf(steps, (k) => k === "function", "first")).toBeLessThan(indexOf(steps, (k) => k === "reference", "first"));
    expect(indexOf(steps, (k) => k === "reference", "last")).toBeLessThan(indexOf(steps, (k) => k === "distribute", "first"));
    expect(indexOf(steps, (k) => k === "distribute", "last")).toBeLessThan(indexOf(steps, (k) => k === "add-fk", "first"));
    expect(steps.at(-1)!.kind).toBe("cleanup");
    // The anchor first, without colocate_with; every other tenant table co-located with it.
    const dist = steps.filter((s) => s.kind === "distribute");
    expect(dist.map((s) => s.target).sort()).toEqual([...plan.tenant].sort());
    expect(dist[0]!.sql).toBe(`select create_distributed_table('${ANCHOR}', 'merchant_id')`);
    for (const s of dist.slice(1)) expect(s.sql).toContain(`colocate_with := '${ANCHOR}'`);
  });

  it("puts trigger functions on the workers before the tables, and distributes the per-merchant functions by their merchant argument", () => {
    const { steps } = planDistribution(snapshot);
    const firstTable = indexOf(steps, (k) => k === "reference" || k === "distribute", "first");
    const lastTable = indexOf(steps, (k) => k === "reference" || k === "distribute", "last");
    for (const tr of snapshot.triggers) {
      const i = steps.findIndex((s) => s.kind === "function" && s.target.startsWith(`${tr.function}(`));
      expect([tr.name, i >= 0 && i < firstTable]).toEqual([tr.name, true]);
    }
    const perMerchant = snapshot.functions.filter((f) => f.args.some((a) => a.name === "p_merchant_id"));
    expect(perMerchant.map((f) => f.name)).toEqual(expect.arrayContaining(["ledger_due_lots", "experiment_member_facts_rebuild"]));
    for (const f of perMerchant) {
      const i = steps.findIndex((s) => s.kind === "function" && s.target === f.signature);
      expect(i).toBeGreaterThan(lastTable);
      expect(steps[i]!.sql).toContain("distribution_arg_name := 'p_merchant_id'");
    }
    expect(steps.filter((s) => s.kind === "setting").map((s) => s.sql)).toEqual([
      `alter database "${snapshot.database}" set citus.propagate_set_commands = 'local'`,
      `alter database "${snapshot.database}" set citus.enable_unsafe_triggers = 'on'`,
    ]);
    expect(steps.find((s) => s.kind === "role")?.sql).toBe(`alter role "perennial_app" login`);
  });

  it("plans only what is left on a half-done distribution, and nothing on a finished one", () => {
    const plan = planDistribution(snapshot);
    const firstHalf = new Set([...plan.reference, ...plan.tenant.slice(0, Math.floor(plan.tenant.length / 2)), ANCHOR]);
    const half = laidOut(snapshot, (t) => firstHalf.has(t));
    const again = planDistribution(half);
    expect(again.blockers).toEqual([]);
    expect(again.steps.filter((s) => s.kind === "reference")).toEqual([]);
    expect(again.steps.filter((s) => s.kind === "distribute").map((s) => s.target).sort()).toEqual(plan.tenant.filter((t) => !firstHalf.has(t)).sort());
    expect(again.steps.some((s) => s.kind === "setting" || s.kind === "role" || s.kind === "fk-store")).toBe(false);
    // Keys between two tables already laid out stay; the remembered ones come back, each once.
    for (const fk of half.foreignKeys) expect(again.steps.some((s) => s.target === `${fk.table}.${fk.name}`)).toBe(false);
    const readd = again.steps.filter((s) => s.kind === "add-fk").map((s) => s.target);
    expect(new Set(readd).size).toBe(readd.length);
    expect(readd.sort()).toEqual(half.pendingForeignKeys!.map((fk) => `${fk.table}.${fk.name}`).sort());
    expect(verifyDistribution(half).ok).toBe(false);

    const finished = laidOut(snapshot, () => true);
    expect(planDistribution(finished).steps).toEqual([]);
    const check = verifyDistribution(finished);
    expect(check.lines.filter((l) => l.startsWith("FAIL"))).toEqual([]);
    expect(check.ok).toBe(true);
  });

  it("verification fails on a second co-location group, a local table, and a table left out", () => {
    const finished = laidOut(snapshot, () => true);
    const split = { ...finished, tables: finished.tables.map((t) => (t.name === "orders" ? { ...t, citus: { type: "distributed" as const, column: "merchant_id", colocationId: 9 } } : t)) };
    expect(verifyDistribution(split).lines.some((l) => l.startsWith("FAIL tenant tables co-located: 2 groups"))).toBe(true);
    // Moved into the group with its keys dropped around the move (a key between distributed tables needs co-location).
    const moved = planDistribution(split).steps;
    expect(moved.filter((s) => s.kind === "colocate" || s.kind === "distribute" || s.kind === "reference").map((s) => [s.kind, s.target])).toEqual([["colocate", "orders"]]);
    for (const s of moved.filter((x) => x.kind === "drop-fk" || x.kind === "add-fk")) expect(s.sql).toMatch(/orders/);
    expect(verifyDistribution({ ...finished, citusLocalTables: ["public.orders"] }).ok).toBe(false);
    const missing = { ...finished, tables: finished.tables.map((t) => (t.name === "merchants" ? { ...t, citus: null } : t)) };
    expect(verifyDistribution(missing).lines).toContain("FAIL 7/8 global tables are reference tables; not: merchants".replace("7/8", `${planDistribution(snapshot).reference.length - 1}/${planDistribution(snapshot).reference.length}`));
  });

  it("knows which foreign keys Citus refuses, and reads a remembered key back from its definition", () => {
    const kind = (t: string) => (({ members: "tenant", orders: "tenant", merchants: "reference", staff_users: "reference", kysely_migration: "coordinator" }) as const)[t as "members"];
    const fk = (p: Partial<SnapshotForeignKey>): SnapshotForeignKey => ({ name: "k", table: "orders", columns: ["merchant_id", "member_id"], refTable: "members", refColumns: ["merchant_id", "id"], onDelete: "a", onUpdate: "a", definition: "", ...p });
    expect(foreignKeyRefusal(fk({}), kind)).toBeNull();
    expect(foreignKeyRefusal(fk({ columns: ["member_id"], refColumns: ["id"] }), kind)).toMatch(/merchant_id to merchant_id/);
    expect(foreignKeyRefusal(fk({ table: "merchants", columns: ["id"], refColumns: ["merchant_id"] }), kind)).toMatch(/reference table to a distributed table/);
    expect(foreignKeyRefusal(fk({ onDelete: "n" }), kind)).toMatch(/SET NULL/);
    expect(foreignKeyRefusal(fk({ refTable: "staff_users", columns: ["created_by"], refColumns: ["id"], onDelete: "n" }), kind)).toBeNull();
    for (const k of snapshot.foreignKeys) {
      const back = parseForeignKeyDefinition(k.table, k.name, k.definition);
      expect(back).toEqual(k);
    }
  });
});

describe("db distribute (CLI) on PostgreSQL without Citus", () => {
  it("says so in one line and exits non-zero; --dry-run prints the plan", async () => {
    const r = await cli([]);
    expect(r.code).toBe(1);
    const lines = `${r.stdout}${r.stderr}`.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/citus extension is not installed.*create extension citus/);

    const dry = await cli(["--dry-run"]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^citus is not installed in /);
    expect(dry.stdout).toContain(`select create_distributed_table('orders', 'merchant_id', colocate_with := '${ANCHOR}')`);
    expect(dry.stdout).toContain("select create_reference_table('merchants')");
  }, 120_000);
});
