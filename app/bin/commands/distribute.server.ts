import pg from "pg";
import { APP_ROLE } from "~/db.server";
import {
  FK_STORE,
  SESSION_SQL,
  parseForeignKeyDefinition,
  planDistribution,
  verifyDistribution,
  type CatalogSnapshot,
  type CitusTableType,
  type FkAction,
  type Plan,
  type SnapshotTable,
} from "~db/distribute";

/**
 * `npm run cli -- db distribute [--dry-run]` (docs/scale-out.md): lays the migrated schema out on Citus — reads the
 * catalog, plans with db/distribute.ts, runs the steps one by one (each its own transaction, so a failure leaves
 * every earlier step done and a re-run plans only the rest), then reads the catalog again and verifies. Runs as the
 * owner role of DATABASE_URL (it needs to own the tables, alter the database and the app role).
 */

type Query = (text: string, params?: unknown[]) => Promise<Array<Record<string, unknown>>>;

export async function readSnapshot(query: Query): Promise<CatalogSnapshot> {
  const citus = (await query("select 1 from pg_extension where extname = 'citus'")).length > 0;
  const database = String((await query("select current_database() as database"))[0]!.database);
  const settings: Record<string, string> = {};
  for (const r of await query(
    "select unnest(setconfig) as s from pg_db_role_setting where setdatabase = (select oid from pg_database where datname = current_database()) and setrole = 0",
  )) {
    const s = String(r.s);
    const i = s.indexOf("=");
    settings[s.slice(0, i)] = s.slice(i + 1);
  }
  const role = (await query("select rolname, rolcanlogin from pg_roles where rolname = $1", [APP_ROLE]))[0];

  const partition = new Map<string, { type: CitusTableType; column: string | null; colocationId: number }>();
  const citusLocalTables: string[] = [];
  if (citus) {
    // pg_dist_partition, classified as Citus's own citus_tables view does.
    for (const r of await query(`
      select n.nspname as schema, c.relname as name, p.colocationid as colocation,
             case when p.partkey is not null then 'distributed' when p.repmodel = 't' then 'reference'
                  when p.colocationid = 0 then 'local' else 'distributed' end as type,
             case when p.partkey is not null then column_to_column_name(p.logicalrelid, p.partkey) end as column
        from pg_dist_partition p join pg_class c on c.oid = p.logicalrelid join pg_namespace n on n.oid = c.relnamespace`)) {
      const type = r.type as CitusTableType;
      if (type === "local") citusLocalTables.push(`${String(r.schema)}.${String(r.name)}`);
      if (r.schema === "public") partition.set(String(r.name), { type, column: (r.column as string | null) ?? null, colocationId: Number(r.colocation) });
    }
  }

  const tables = new Map<string, SnapshotTable>();
  for (const r of await query(`
    select c.relname as table, a.attname as column, format_type(a.atttypid, a.atttypmod) as type
      from pg_class c join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
     where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') and not c.relispartition
     order by c.relname, a.attnum`)) {
    const name = String(r.table);
    const t = tables.get(name) ?? { name, columns: {}, uniques: [], citus: partition.get(name) ?? null };
    t.columns[String(r.column)] = String(r.type);
    tables.set(name, t);
  }
  // Unique indexes cover primary keys and unique constraints; exclusion constraints have indexes too.
  for (const r of await query(`
    select c.relname as table, i.relname as name,
           array(select a.attname from unnest(x.indkey) with ordinality k(n, o) join pg_attribute a on a.attrelid = x.indrelid and a.attnum = k.n order by k.o)::text[] as columns
      from pg_index x join pg_class c on c.oid = x.indrelid join pg_class i on i.oid = x.indexrelid
     where c.relnamespace = 'public'::regnamespace and (x.indisunique or x.indisexclusion)`)) {
    tables.get(String(r.table))?.uniques.push({ name: String(r.name), columns: r.columns as string[] });
  }

  const cols = (rel: string, keys: string) => `array(select a.attname from unnest(${keys}) with ordinality k(n, o) join pg_attribute a on a.attrelid = ${rel} and a.attnum = k.n order by k.o)::text[]`;
  const foreignKeys = (
    await query(`
      select f.conname as name, c.relname as table, r.relname as ref_table, ${cols("f.conrelid", "f.conkey")} as columns,
             ${cols("f.confrelid", "f.confkey")} as ref_columns, f.confdeltype as on_delete, f.confupdtype as on_update,
             pg_get_constraintdef(f.oid) as definition
        from pg_constraint f join pg_class c on c.oid = f.conrelid join pg_class r on r.oid = f.confrelid
       where f.contype = 'f' and c.relnamespace = 'public'::regnamespace and r.relnamespace = 'public'::regnamespace
         and f.conparentid = 0
       order by c.relname, f.conname`)
  ).map((r) => ({
    name: String(r.name),
    table: String(r.table),
    columns: r.columns as string[],
    refTable: String(r.ref_table),
    refColumns: r.ref_columns as string[],
    onDelete: r.on_delete as FkAction,
    onUpdate: r.on_update as FkAction,
    definition: String(r.definition),
  }));

  const store = (await query("select to_regclass($1) is not null as present", [FK_STORE]))[0]!.present === true;
  const pendingForeignKeys = store
    ? (await query(`select table_name, name, definition from ${FK_STORE} order by table_name, name`)).flatMap((r) => {
        const fk = parseForeignKeyDefinition(String(r.table_name), String(r.name), String(r.definition));
        return fk ? [fk] : [];
      })
    : null;

  const triggers = (
    await query(`
      select c.relname as table, t.tgname as name, p.proname as function, (t.tgtype & 1) = 1 as row,
             (t.tgnewtable is not null or t.tgoldtable is not null) as transition
        from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_proc p on p.oid = t.tgfoid
       where not t.tgisinternal and c.relnamespace = 'public'::regnamespace and not c.relispartition
       order by c.relname, t.tgname`)
  ).map((r) => ({ table: String(r.table), name: String(r.name), function: String(r.function), row: r.row === true, transitionTables: r.transition === true }));

  // Input arguments only (OUT and TABLE columns are not arguments a call passes).
  const functions = (
    await query(`
      select p.oid::regprocedure::text as signature, p.proname as name, p.prorettype = 'trigger'::regtype as returns_trigger,
             coalesce((select json_agg(json_build_object('name', coalesce(a.n, ''), 'type', format_type(a.t, null)) order by a.o)
                         from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[]),
                                     coalesce(p.proargnames, array_fill(''::text, array[coalesce(array_length(p.proallargtypes, 1), p.pronargs)])),
                                     coalesce(p.proargmodes, array_fill('i'::"char", array[coalesce(array_length(p.proallargtypes, 1), p.pronargs)])))
                              with ordinality as a(t, n, m, o)
                        where a.m in ('i', 'b', 'v')), '[]'::json) as args,
             ${citus ? "d.distribution_argument_index as arg_index, d.colocationid as colocation, d.objid is not null" : "null::int as arg_index, null::int as colocation, false"} as distributed
        from pg_proc p ${citus ? "left join pg_dist_object d on d.classid = 'pg_proc'::regclass and d.objid = p.oid" : ""}
       where p.pronamespace = 'public'::regnamespace and p.prokind in ('f', 'a')
         and not exists (select 1 from pg_depend e where e.classid = 'pg_proc'::regclass and e.objid = p.oid and e.deptype = 'e')
       order by 1`)
  ).map((r) => ({
    signature: String(r.signature),
    name: String(r.name),
    args: r.args as Array<{ name: string; type: string }>,
    returnsTrigger: r.returns_trigger === true,
    distributed: r.distributed === true ? { argIndex: r.arg_index === null ? null : Number(r.arg_index), colocationId: r.colocation === null ? null : Number(r.colocation) } : null,
  }));

  return {
    database,
    citus,
    settings,
    appRole: role ? { name: String(role.rolname), canLogin: role.rolcanlogin === true } : null,
    tables: [...tables.values()],
    foreignKeys,
    pendingForeignKeys,
    triggers,
    functions,
    citusLocalTables,
  };
}

export function formatPlan(plan: Plan, opts: { sql: boolean }): string[] {
  const out = [
    `tenant tables (distributed by merchant_id, co-located with ${plan.anchor ?? "-"}): ${plan.tenant.length}`,
    `reference tables: ${plan.reference.length} (${plan.reference.join(", ")})`,
    `coordinator-only tables: ${plan.coordinator.join(", ") || "none"}`,
  ];
  for (const b of plan.blockers) out.push(`BLOCKER ${b}`);
  for (const d of plan.droppedForGood) out.push(`foreign key ${d.table}.${d.name} is not re-created: ${d.reason}`);
  for (const n of plan.notes) out.push(`note: ${n}`);
  out.push(plan.steps.length ? `${plan.steps.length} step(s):` : "nothing to do: every step is done");
  plan.steps.forEach((s, i) => {
    out.push(`  ${i + 1}. ${s.description}`);
    if (opts.sql) out.push(`     ${s.sql}`);
  });
  return out;
}

/**
 * After `db migrate`: on Citus, the number of distribution steps a migration left to do (a new table or function),
 * for a one-line reminder; null without Citus (the usual case: one query).
 */
export async function pendingDistributionSteps(url: string): Promise<number | null> {
  const client = new pg.Client({ connectionString: url, application_name: "perennial db migrate" });
  await client.connect();
  try {
    if (!(await client.query("select 1 from pg_extension where extname = 'citus'")).rowCount) return null;
    const plan = planDistribution(await readSnapshot(async (text, params) => (await client.query(text, params)).rows as Array<Record<string, unknown>>));
    return plan.steps.length;
  } finally {
    await client.end();
  }
}

/** Returns the exit status. */
export async function distributeSchema(url: string, opts: { dryRun: boolean; out: (line: string) => void }): Promise<number> {
  const client = new pg.Client({ connectionString: url, application_name: "perennial db distribute" });
  await client.connect();
  const query: Query = async (text, params) => (await client.query(text, params)).rows as Array<Record<string, unknown>>;
  try {
    const before = await readSnapshot(query);
    if (!before.citus && !opts.dryRun) {
      opts.out(`db distribute: the citus extension is not installed in database ${before.database}; the operator runs \`create extension citus\` on the coordinator first (docs/scale-out.md)`);
      return 1;
    }
    const plan = planDistribution(before);
    if (opts.dryRun) {
      if (!before.citus) opts.out(`citus is not installed in ${before.database}: the plan as it would run after \`create extension citus\``);
      for (const line of formatPlan(plan, { sql: true })) opts.out(line);
      return plan.blockers.length ? 1 : 0;
    }
    for (const line of formatPlan(plan, { sql: false })) opts.out(line);
    if (plan.blockers.length) {
      opts.out("stopped before the first step: Citus would refuse the schema as it is (see BLOCKER above)");
      return 1;
    }
    await client.query(SESSION_SQL);
    for (const [i, step] of plan.steps.entries()) {
      opts.out(`[${i + 1}/${plan.steps.length}] ${step.description}`);
      try {
        await client.query(step.sql);
      } catch (err) {
        opts.out(`failed: ${(err as Error).message}\n  ${step.sql}\nthe steps before it are done; fix the cause and run db distribute again`);
        return 1;
      }
    }
    const check = verifyDistribution(await readSnapshot(query));
    opts.out("verification:");
    for (const line of check.lines) opts.out(`  ${line}`);
    return check.ok ? 0 : 1;
  } finally {
    await client.end();
  }
}
