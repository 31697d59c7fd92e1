import { COORDINATOR_TABLES, REFERENCE_TENANT_TABLES } from "./distribution";

/**
 * The plan of `npm run cli -- db distribute` (docs/scale-out.md, "Distributing the schema"): a pure function from a
 * snapshot of the catalog (pg_catalog plus Citus's metadata) to the ordered SQL steps that lay the schema out on Citus,
 * and the verification of the result. No I/O here: the command reads the snapshot, runs the steps one by one and reads
 * it again, so a run that stopped half-way plans only what is left.
 *
 * The order is the one Citus needs:
 *  1. database settings and the app role (so the app's `set local app.merchant_id` reaches the workers, and the role
 *     Citus connects to the workers as may log in there);
 *  2. drop every foreign key that has an end still to convert, remembered in a table of its own: with them in place,
 *     `create_reference_table('merchants')` pulls every table that refers to merchants into Citus metadata as a
 *     "local" table, and `create_distributed_table` refuses a table with a key to a table not yet distributed;
 *  3. trigger functions on the workers (create_distributed_function), before the tables whose triggers call them;
 *  4. reference tables, then tenant tables distributed by merchant_id and co-located with the first (the anchor);
 *  5. the other functions: by their merchant argument where they have one, co-located with the anchor;
 *  6. the remembered foreign keys that Citus allows, re-created; the others are reported and stay dropped.
 */

export const DISTRIBUTION_COLUMN = "merchant_id";
/** The tenant table the others are co-located with (`colocate_with`), when it is one. */
export const ANCHOR = "members";
/** Argument names that carry the merchant, in functions called per merchant. */
export const MERCHANT_ARGUMENTS = ["p_merchant_id", "p_merchant"] as const;
/** Where step 2 remembers the foreign keys it dropped until step 6 re-creates them (outside schema public). */
export const FK_STORE = "perennial_distribute.foreign_keys";
/** Database settings the app needs on Citus. */
export const CITUS_SETTINGS: Readonly<Record<string, string>> = {
  // `withTenant` sends `set local app.merchant_id = …`; Citus forwards SET LOCAL to the worker connections of the
  // transaction only with this, and Row Level Security runs on the shards, where the setting is read.
  "citus.propagate_set_commands": "local",
  // Citus refuses CREATE TRIGGER on a distributed table (and distributing a table that has triggers) without it; on at
  // the database level, so the migrations that add or replace triggers after distribution work too. Safe here because
  // every trigger runs single-shard statements on its own merchant (docs/scale-out.md, rule 3).
  "citus.enable_unsafe_triggers": "on",
};

export type CitusTableType = "distributed" | "reference" | "local";
export type FkAction = "a" | "r" | "c" | "n" | "d";

export interface SnapshotTable {
  name: string;
  /** Column name → format_type. */
  columns: Record<string, string>;
  /** Primary key, unique and exclusion constraints (and unique indexes), with their columns. */
  uniques: Array<{ name: string; columns: string[] }>;
  /** Its entry in Citus metadata (pg_dist_partition), null when Citus does not know it. */
  citus: { type: CitusTableType; column: string | null; colocationId: number } | null;
}

export interface SnapshotForeignKey {
  name: string;
  table: string;
  columns: string[];
  refTable: string;
  refColumns: string[];
  onDelete: FkAction;
  onUpdate: FkAction;
  /** pg_get_constraintdef: what step 6 re-creates. */
  definition: string;
}

export interface SnapshotFunction {
  /** regprocedure text, e.g. `ledger_due_lots(text,timestamp with time zone,integer)`. */
  signature: string;
  name: string;
  args: Array<{ name: string; type: string }>;
  returnsTrigger: boolean;
  /** Its pg_dist_object entry, null when not distributed. */
  distributed: { argIndex: number | null; colocationId: number | null } | null;
}

export interface CatalogSnapshot {
  database: string;
  /** Is the citus extension installed in this database. */
  citus: boolean;
  /** Database-level settings (pg_db_role_setting for this database, every role). */
  settings: Record<string, string>;
  appRole: { name: string; canLogin: boolean } | null;
  /** Tables of schema public (partitions left out: they follow their parent). */
  tables: SnapshotTable[];
  /** Foreign keys between tables of schema public. */
  foreignKeys: SnapshotForeignKey[];
  /** Foreign keys an earlier run dropped and has not re-created yet (FK_STORE), or null when that table is absent. */
  pendingForeignKeys: SnapshotForeignKey[] | null;
  triggers: Array<{ table: string; name: string; function: string; row: boolean; transitionTables: boolean }>;
  functions: SnapshotFunction[];
  /** Tables of any schema that Citus metadata holds as "local" (citus local tables). */
  citusLocalTables: string[];
}

export type StepKind = "setting" | "role" | "fk-store" | "drop-fk" | "function" | "reference" | "distribute" | "colocate" | "add-fk" | "forget-fk" | "cleanup";

export interface Step {
  kind: StepKind;
  target: string;
  description: string;
  sql: string;
}

export interface Plan {
  tenant: string[];
  reference: string[];
  coordinator: string[];
  /** The tenant table every other is co-located with. */
  anchor: string | null;
  /** What Citus would refuse: the command stops before the first step when this is not empty. */
  blockers: string[];
  /** Foreign keys that stay dropped (or are dropped now and not re-created), with why. */
  droppedForGood: Array<{ table: string; name: string; reason: string }>;
  notes: string[];
  steps: Step[];
}

const q = (name: string) => `"${name.replace(/"/g, '""')}"`;
const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** A session setting of the connection that runs the steps (not a step: every run needs it). */
export const SESSION_SQL = "set citus.enable_unsafe_triggers = on";

export function classifyTables(tables: readonly SnapshotTable[]): { tenant: string[]; reference: string[]; coordinator: string[] } {
  const tenant: string[] = [];
  const reference: string[] = [];
  const coordinator: string[] = [];
  for (const t of [...tables].sort((a, b) => a.name.localeCompare(b.name))) {
    if (COORDINATOR_TABLES.includes(t.name)) coordinator.push(t.name);
    else if (DISTRIBUTION_COLUMN in t.columns && !REFERENCE_TENANT_TABLES.includes(t.name)) tenant.push(t.name);
    else reference.push(t.name);
  }
  return { tenant, reference, coordinator };
}

function merchantArgIndex(f: SnapshotFunction): number | null {
  if (f.returnsTrigger) return null;
  const i = f.args.findIndex((a) => (MERCHANT_ARGUMENTS as readonly string[]).includes(a.name));
  return i < 0 ? null : i;
}

/** Why Citus refuses this foreign key between the two tables in their final layout, or null when it accepts it. */
export function foreignKeyRefusal(fk: SnapshotForeignKey, kindOf: (table: string) => "tenant" | "reference" | "coordinator" | undefined): string | null {
  const from = kindOf(fk.table);
  const to = kindOf(fk.refTable);
  if (!from || !to) return "a table it links is not in schema public";
  if (from === "coordinator" || to === "coordinator") return "a coordinator-only table cannot have a foreign key with a Citus table";
  if (from === "reference" && to === "tenant") return "Citus refuses a foreign key from a reference table to a distributed table";
  const setsNull = (a: FkAction) => a === "n" || a === "d";
  if (from === "tenant" && fk.columns.includes(DISTRIBUTION_COLUMN) && (setsNull(fk.onDelete) || setsNull(fk.onUpdate))) {
    return "Citus refuses SET NULL / SET DEFAULT on a foreign key that includes the distribution column";
  }
  if (from === "tenant" && to === "tenant") {
    const i = fk.columns.indexOf(DISTRIBUTION_COLUMN);
    if (i < 0 || fk.refColumns[i] !== DISTRIBUTION_COLUMN) {
      return "a foreign key between two distributed tables must map merchant_id to merchant_id (it would cross shards)";
    }
  }
  return null;
}

export function planDistribution(s: CatalogSnapshot): Plan {
  const { tenant, reference, coordinator } = classifyTables(s.tables);
  const byName = new Map(s.tables.map((t) => [t.name, t]));
  const kind = new Map<string, "tenant" | "reference" | "coordinator">([
    ...tenant.map((t) => [t, "tenant"] as const),
    ...reference.map((t) => [t, "reference"] as const),
    ...coordinator.map((t) => [t, "coordinator"] as const),
  ]);
  const kindOf = (t: string) => kind.get(t);
  const blockers: string[] = [];
  const notes: string[] = [];
  const droppedForGood: Plan["droppedForGood"] = [];
  const steps: Step[] = [];

  // The anchor: a tenant table already distributed by merchant_id (so a re-run keeps its co-location group), else
  // members (the table most others refer to), else the first tenant table by name.
  const anchor =
    (byName.get(ANCHOR)?.citus?.type === "distributed" ? ANCHOR : undefined) ??
    tenant.find((t) => byName.get(t)!.citus?.type === "distributed" && byName.get(t)!.citus?.column === DISTRIBUTION_COLUMN) ??
    (tenant.includes(ANCHOR) ? ANCHOR : tenant[0]) ??
    null;
  const anchorColocation = anchor ? (byName.get(anchor)!.citus?.type === "distributed" ? byName.get(anchor)!.citus!.colocationId : null) : null;

  // ---- what Citus would refuse ------------------------------------------------------------------------------------
  const types = new Set(tenant.map((t) => byName.get(t)!.columns[DISTRIBUTION_COLUMN]));
  if (types.size > 1) blockers.push(`merchant_id has more than one type across tenant tables (${[...types].join(", ")}): co-location needs one`);
  for (const t of tenant) {
    for (const u of byName.get(t)!.uniques) {
      if (!u.columns.includes(DISTRIBUTION_COLUMN)) {
        blockers.push(`${t}: unique constraint ${u.name} (${u.columns.join(", ")}) does not include merchant_id; Citus cannot enforce it across shards (include merchant_id, or list ${t} in REFERENCE_TENANT_TABLES)`);
      }
    }
    const c = byName.get(t)!.citus;
    if (c && c.type === "distributed" && c.column !== DISTRIBUTION_COLUMN) blockers.push(`${t} is distributed by ${c.column ?? "no column"}, not merchant_id (undistribute_table first)`);
    if (c && c.type === "reference") blockers.push(`${t} is a reference table but has merchant_id and is not in REFERENCE_TENANT_TABLES (undistribute_table first, or list it)`);
  }
  for (const t of reference) {
    const c = byName.get(t)!.citus;
    if (c && c.type === "distributed") blockers.push(`${t} is distributed but should be a reference table (undistribute_table first)`);
  }
  for (const t of coordinator) {
    if (byName.get(t)!.citus) blockers.push(`${t} is in Citus metadata but is the coordinator's own (undistribute_table it)`);
  }
  for (const name of [...REFERENCE_TENANT_TABLES, ...COORDINATOR_TABLES]) {
    if (!byName.has(name)) notes.push(`${name} is listed in db/distribution.ts but is not a table of schema public`);
  }
  for (const tr of s.triggers) {
    if (!tr.row && tr.transitionTables) notes.push(`trigger ${tr.name} on ${tr.table} is statement-level with a transition table: it runs per shard on Citus (docs/scale-out.md, rule 8)`);
  }

  // ---- 1. settings and the app role ---------------------------------------------------------------------------------
  for (const [name, value] of Object.entries(CITUS_SETTINGS)) {
    if (s.settings[name] === value) continue;
    steps.push({
      kind: "setting",
      target: name,
      description: `set ${name} = '${value}' for every new session of database ${s.database}`,
      sql: `alter database ${q(s.database)} set ${name} = ${lit(value)}`,
    });
  }
  if (s.appRole && !s.appRole.canLogin) {
    steps.push({
      kind: "role",
      target: s.appRole.name,
      description: `let ${s.appRole.name} log in: the app runs as it (set role), and Citus opens the worker connections as the current role (Citus propagates ALTER ROLE to the workers; authentication from the coordinator is the operator's: pg_hba or pg_dist_authinfo)`,
      sql: `alter role ${q(s.appRole.name)} login`,
    });
  }

  // ---- 2. foreign keys: drop those with an end still to convert -----------------------------------------------------
  const isDone = (t: string) => {
    const c = byName.get(t)?.citus;
    const k = kindOf(t);
    if (k === "tenant") return c?.type === "distributed" && c.column === DISTRIBUTION_COLUMN && (anchorColocation === null || c.colocationId === anchorColocation);
    if (k === "reference") return c?.type === "reference";
    return !c;
  };
  const toDrop = s.foreignKeys.filter((fk) => !(isDone(fk.table) && isDone(fk.refTable)));
  const pending = s.pendingForeignKeys ?? [];
  const needStore = toDrop.length > 0 || pending.length > 0;
  if (toDrop.length > 0 && s.pendingForeignKeys === null) {
    steps.push({
      kind: "fk-store",
      target: FK_STORE,
      description: "create the table that remembers dropped foreign keys until they are re-created (so a run that stops half-way loses none)",
      sql:
        `create schema if not exists perennial_distribute; ` +
        `create table if not exists ${FK_STORE} (table_name text not null, name text not null, definition text not null, primary key (table_name, name))`,
    });
  }
  for (const fk of toDrop) {
    const refusal = foreignKeyRefusal(fk, kindOf);
    if (refusal) droppedForGood.push({ table: fk.table, name: fk.name, reason: refusal });
    steps.push({
      kind: "drop-fk",
      target: `${fk.table}.${fk.name}`,
      description: `drop ${fk.name} (${fk.table} → ${fk.refTable})${refusal ? ` for good: ${refusal}` : ", remembered"}`,
      sql:
        `insert into ${FK_STORE} (table_name, name, definition) values (${lit(fk.table)}, ${lit(fk.name)}, ${lit(fk.definition)}) on conflict do nothing; ` +
        `alter table ${q(fk.table)} drop constraint ${q(fk.name)}`,
    });
  }

  // ---- 3. trigger functions on the workers --------------------------------------------------------------------------
  const functionStep = (f: SnapshotFunction, argIndex: number | null): Step | null => {
    const d = f.distributed;
    if (d && d.argIndex === argIndex && (argIndex === null || anchorColocation === null || d.colocationId === anchorColocation)) return null;
    const arg = argIndex === null ? null : f.args[argIndex]!.name;
    return {
      kind: "function",
      target: f.signature,
      description: arg ? `distribute function ${f.name} by ${arg}, co-located with ${anchor}: a call from the coordinator runs on that merchant's worker` : `create function ${f.name} on every worker${f.returnsTrigger ? " (a trigger function: it runs on the shards)" : ""}`,
      sql: arg
        ? `select create_distributed_function(${lit(f.signature)}::regprocedure, distribution_arg_name := ${lit(arg)}, colocate_with := ${lit(anchor!)})`
        : `select create_distributed_function(${lit(f.signature)}::regprocedure)`,
    };
  };
  const sortedFunctions = [...s.functions].sort((a, b) => a.signature.localeCompare(b.signature));
  for (const f of sortedFunctions.filter((x) => x.returnsTrigger)) {
    const st = functionStep(f, null);
    if (st) steps.push(st);
  }

  // ---- 4. reference tables, then tenant tables ----------------------------------------------------------------------
  for (const t of reference) {
    const c = byName.get(t)!.citus;
    if (c?.type === "reference" || c?.type === "distributed") continue;
    steps.push({ kind: "reference", target: t, description: `${t}: reference table (a copy on every node)`, sql: `select create_reference_table(${lit(t)})` });
  }
  for (const t of anchor ? [anchor, ...tenant.filter((x) => x !== anchor)] : tenant) {
    const c = byName.get(t)!.citus;
    if (c?.type === "reference" || (c?.type === "distributed" && c.column !== DISTRIBUTION_COLUMN)) continue; // a blocker
    if (c?.type === "distributed") {
      if (anchorColocation !== null && c.colocationId !== anchorColocation) {
        steps.push({
          kind: "colocate",
          target: t,
          description: `${t}: move into ${anchor}'s co-location group`,
          sql: `select update_distributed_table_colocation(${lit(t)}, colocate_with := ${lit(anchor!)})`,
        });
      }
      continue;
    }
    const first = t === anchor;
    steps.push({
      kind: "distribute",
      target: t,
      description: first ? `${t}: distributed by merchant_id (the anchor of the co-location group)` : `${t}: distributed by merchant_id, co-located with ${anchor}`,
      sql: `select create_distributed_table(${lit(t)}, ${lit(DISTRIBUTION_COLUMN)}${first ? "" : `, colocate_with := ${lit(anchor!)}`})`,
    });
  }

  // ---- 5. the other functions -------------------------------------------------------------------------------------
  for (const f of sortedFunctions.filter((x) => !x.returnsTrigger)) {
    const i = merchantArgIndex(f);
    if (i !== null && f.args[i]!.type !== byName.get(anchor ?? "")?.columns[DISTRIBUTION_COLUMN]) {
      blockers.push(`function ${f.signature}: ${f.args[i]!.name} is ${f.args[i]!.type}, not the type of merchant_id`);
      continue;
    }
    const st = functionStep(f, i);
    if (st) steps.push(st);
  }

  // ---- 6. re-create the foreign keys Citus allows -----------------------------------------------------------------
  const seen = new Set<string>();
  for (const fk of [...toDrop, ...pending]) {
    const key = `${fk.table}.${fk.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const refusal = foreignKeyRefusal(fk, kindOf);
    const forget = `delete from ${FK_STORE} where table_name = ${lit(fk.table)} and name = ${lit(fk.name)}`;
    if (refusal) {
      if (!toDrop.includes(fk)) droppedForGood.push({ table: fk.table, name: fk.name, reason: refusal });
      steps.push({ kind: "forget-fk", target: key, description: `forget ${fk.name}: not re-created (${refusal})`, sql: forget });
      continue;
    }
    steps.push({
      kind: "add-fk",
      target: key,
      description: `re-create ${fk.name} (${fk.table} → ${fk.refTable})`,
      sql: `alter table ${q(fk.table)} add constraint ${q(fk.name)} ${fk.definition}; ${forget}`,
    });
  }
  if (needStore || s.pendingForeignKeys !== null) {
    steps.push({ kind: "cleanup", target: "perennial_distribute", description: "drop the foreign-key store (every remembered key handled)", sql: "drop schema perennial_distribute cascade" });
  }

  return { tenant, reference, coordinator, anchor, blockers, droppedForGood, notes, steps };
}

/**
 * A remembered key's columns and actions, read back from its pg_get_constraintdef text (all FK_STORE keeps), e.g.
 * `FOREIGN KEY (merchant_id, member_id) REFERENCES members(merchant_id, id) ON DELETE CASCADE`.
 */
export function parseForeignKeyDefinition(table: string, name: string, definition: string): SnapshotForeignKey | null {
  const m = /^FOREIGN KEY \(([^)]*)\) REFERENCES ([^(\s]+)\s*\(([^)]*)\)(.*)$/is.exec(definition.trim());
  if (!m) return null;
  const cols = (x: string) => x.split(",").map((c) => c.trim().replace(/^"|"$/g, ""));
  const action = (verb: "DELETE" | "UPDATE"): FkAction => {
    const a = new RegExp(`ON ${verb} (NO ACTION|RESTRICT|CASCADE|SET NULL|SET DEFAULT)`, "i").exec(m[4]!)?.[1]?.toUpperCase();
    return a === "RESTRICT" ? "r" : a === "CASCADE" ? "c" : a === "SET NULL" ? "n" : a === "SET DEFAULT" ? "d" : "a";
  };
  return { name, table, columns: cols(m[1]!), refTable: m[2]!.replace(/^public\./, "").replace(/^"|"$/g, ""), refColumns: cols(m[3]!), onDelete: action("DELETE"), onUpdate: action("UPDATE"), definition };
}

export interface Verification {
  ok: boolean;
  lines: string[];
}

/** Checks a snapshot taken after the steps: what `db distribute` prints last, and its exit status. */
export function verifyDistribution(s: CatalogSnapshot): Verification {
  const lines: string[] = [];
  let ok = true;
  const check = (pass: boolean, text: string) => {
    if (!pass) ok = false;
    lines.push(`${pass ? "ok  " : "FAIL"} ${text}`);
  };
  if (!s.citus) return { ok: false, lines: ["FAIL the citus extension is not installed"] };
  const { tenant, reference, coordinator } = classifyTables(s.tables);
  const byName = new Map(s.tables.map((t) => [t.name, t]));

  const wrongTenant = tenant.filter((t) => byName.get(t)!.citus?.type !== "distributed" || byName.get(t)!.citus?.column !== DISTRIBUTION_COLUMN);
  check(wrongTenant.length === 0, `${tenant.length - wrongTenant.length}/${tenant.length} tenant tables distributed by merchant_id${wrongTenant.length ? `; not: ${wrongTenant.join(", ")}` : ""}`);
  const groups = new Set(tenant.map((t) => byName.get(t)!.citus?.colocationId ?? -1));
  check(groups.size <= 1, `tenant tables co-located: ${groups.size <= 1 ? `one group (${[...groups].join("")})` : `${groups.size} groups (${[...groups].join(", ")})`}`);
  const wrongRef = reference.filter((t) => byName.get(t)!.citus?.type !== "reference");
  check(wrongRef.length === 0, `${reference.length - wrongRef.length}/${reference.length} global tables are reference tables${wrongRef.length ? `; not: ${wrongRef.join(", ")}` : ""}`);
  const inMeta = coordinator.filter((t) => byName.get(t)!.citus);
  check(inMeta.length === 0, `coordinator-only tables left out of Citus metadata (${coordinator.join(", ") || "none"})${inMeta.length ? `; in it: ${inMeta.join(", ")}` : ""}`);
  check(s.citusLocalTables.length === 0, `no table "local" in Citus metadata${s.citusLocalTables.length ? `; local: ${s.citusLocalTables.join(", ")}` : ""}`);
  const pending = s.pendingForeignKeys ?? [];
  check(pending.length === 0, `no dropped foreign key waiting to be re-created${pending.length ? `; waiting: ${pending.map((f) => `${f.table}.${f.name}`).join(", ")}` : ""}`);
  const anchorGroup = tenant.length ? byName.get(tenant[0]!)!.citus?.colocationId : undefined;
  const fnWrong = s.functions.filter((f) => {
    const i = merchantArgIndex(f);
    if (!f.distributed) return true;
    return f.distributed.argIndex !== i || (i !== null && f.distributed.colocationId !== anchorGroup);
  });
  check(fnWrong.length === 0, `${s.functions.length - fnWrong.length}/${s.functions.length} functions on the workers (by their merchant argument where they have one)${fnWrong.length ? `; not: ${fnWrong.map((f) => f.name).join(", ")}` : ""}`);
  for (const [name, value] of Object.entries(CITUS_SETTINGS)) check(s.settings[name] === value, `database setting ${name} = '${value}'${s.settings[name] === value ? "" : ` (is ${s.settings[name] ?? "unset"})`}`);
  if (s.appRole) check(s.appRole.canLogin, `role ${s.appRole.name} can log in (Citus connects to the workers as it)`);
  return { ok, lines };
}
