import path from "node:path";
import pg from "pg";
import { startEmbeddedPostgres } from "../../db/embedded";
import { migrateToLatest } from "../../db/migrate";
import { freePort } from "../support/free-port";
import { tempClusterDir } from "../support/reap";
import fs from "node:fs";
import { REFERENCE_TENANT_TABLES } from "../../db/distribution";

/**
 * What the rules need to know about the migrated schema, read from a real migrated database (pg_catalog), so the
 * checker never keeps its own copy of the table list. The unit tests build a small one by hand (catalog-fixture.ts).
 */

export type Volatility = "i" | "s" | "v";

export interface FunctionInfo {
  name: string;
  language: string;
  volatility: Volatility;
  securityDefiner: boolean;
  returnsTrigger: boolean;
  /** Argument names and canonical types, in order (PL/pgSQL refers to them by name). */
  args: Array<{ name: string; type: string }>;
  body: string;
  /** pg_get_functiondef: the CREATE FUNCTION statement, which the PL/pgSQL parser takes whole. */
  definition: string;
}

export interface TriggerInfo {
  name: string;
  table: string;
  function: string;
  /** FOR EACH ROW (true) or FOR EACH STATEMENT. */
  row: boolean;
  /** REFERENCING NEW TABLE AS … / OLD TABLE AS … names. */
  newTable: string | null;
  oldTable: string | null;
}

export interface Catalog {
  /** Relation name → column name → canonical type (format_type), for tables and views of schema public. */
  relations: Map<string, Map<string, string>>;
  /**
   * Relations with a merchant_id column, less REFERENCE_TENANT_TABLES (db/distribution.ts: reference tables on Citus,
   * a full copy on every node, so a read of them needs no merchant): what Citus distributes by merchant_id.
   */
  tenant: Set<string>;
  /** Function name → volatilities of its overloads (built-in and ours). */
  functionVolatility: Map<string, Set<Volatility>>;
  /** "op left right" → volatility, only for operators that are not IMMUTABLE (e.g. timestamptz - interval: STABLE). */
  operatorVolatility: Map<string, Volatility>;
  /** "source target" → volatility, only for casts that are not IMMUTABLE (timestamptz → date: STABLE). */
  castVolatility: Map<string, Volatility>;
  functions: FunctionInfo[];
  triggers: TriggerInfo[];
}

/** Parser type names → format_type's canonical names, for the types our SQL writes in casts. */
const TYPE_ALIASES: Record<string, string> = {
  timestamptz: "timestamp with time zone",
  timestamp: "timestamp without time zone",
  int: "integer",
  int4: "integer",
  int8: "bigint",
  int2: "smallint",
  bool: "boolean",
  float8: "double precision",
  float4: "real",
  varchar: "character varying",
  timetz: "time with time zone",
  time: "time without time zone",
  "character varying": "character varying",
};

export function canonicalType(name: string): string {
  const n = name.toLowerCase().replace(/^pg_catalog\./, "");
  return TYPE_ALIASES[n] ?? n;
}

/** The relations Citus distributes by merchant_id: those with the column, less REFERENCE_TENANT_TABLES. */
export function tenantRelations(relations: Map<string, Map<string, string>>): Set<string> {
  const reference = new Set(REFERENCE_TENANT_TABLES);
  return new Set([...relations].filter(([rel, c]) => c.has("merchant_id") && !reference.has(rel)).map(([rel]) => rel));
}

export async function readCatalog(url: string): Promise<Catalog> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const cols = await client.query<{ rel: string; col: string; type: string }>(`
      select c.relname as rel, a.attname as col, format_type(a.atttypid, a.atttypmod) as type
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
      where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm')
      order by c.relname, a.attnum`);
    const relations = new Map<string, Map<string, string>>();
    for (const r of cols.rows) {
      let m = relations.get(r.rel);
      if (!m) relations.set(r.rel, (m = new Map()));
      m.set(r.col, r.type);
    }
    const tenant = tenantRelations(relations);

    const vol = await client.query<{ name: string; vols: string[] }>(`
      select proname as name, array_agg(distinct provolatile::text) as vols
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname in ('pg_catalog', 'public') group by proname`);
    const functionVolatility = new Map(vol.rows.map((r) => [r.name, new Set(r.vols as Volatility[])]));

    const ops = await client.query<{ op: string; l: string | null; r: string | null; v: Volatility }>(`
      select o.oprname as op, format_type(o.oprleft, null) as l, format_type(o.oprright, null) as r, p.provolatile::text as v
      from pg_operator o join pg_proc p on p.oid = o.oprcode where p.provolatile <> 'i'`);
    const operatorVolatility = new Map(ops.rows.map((o) => [`${o.op} ${o.l ?? "-"} ${o.r ?? "-"}`, o.v]));

    const casts = await client.query<{ s: string; t: string; v: Volatility }>(`
      select format_type(c.castsource, null) as s, format_type(c.casttarget, null) as t, p.provolatile::text as v
      from pg_cast c join pg_proc p on p.oid = c.castfunc where p.provolatile <> 'i'`);
    const castVolatility = new Map(casts.rows.map((c) => [`${c.s} ${c.t}`, c.v]));
    // Casts through text I/O (timestamptz::text, text::timestamptz) have no castfunc: their output/input functions
    // are STABLE for the time types (they read TimeZone/DateStyle).
    for (const t of ["timestamp with time zone", "date", "timestamp without time zone", "time with time zone", "interval"]) {
      castVolatility.set(`${t} text`, "s");
      castVolatility.set(`text ${t}`, "s");
    }

    const fns = await client.query<{
      name: string;
      language: string;
      volatility: Volatility;
      secdef: boolean;
      rettrigger: boolean;
      argnames: string[] | null;
      argtypes: string[];
      body: string;
      definition: string;
    }>(`
      select p.proname as name, l.lanname as language, p.provolatile::text as volatility, p.prosecdef as secdef,
        p.prorettype = 'trigger'::regtype as rettrigger, p.proargnames as argnames,
        array(select format_type(t, null) from unnest(p.proargtypes::oid[]) t) as argtypes, p.prosrc as body,
        pg_get_functiondef(p.oid) as definition
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace join pg_language l on l.oid = p.prolang
      where n.nspname = 'public' and l.lanname in ('plpgsql', 'sql')
        -- Extensions' own functions (citext's) are theirs to distribute, not ours.
        and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
      order by p.proname`);
    const functions: FunctionInfo[] = fns.rows.map((f) => ({
      name: f.name,
      language: f.language,
      volatility: f.volatility,
      securityDefiner: f.secdef,
      returnsTrigger: f.rettrigger,
      args: f.argtypes.map((type, i) => ({ name: f.argnames?.[i] ?? `$${i + 1}`, type })),
      body: f.body,
      definition: f.definition,
    }));

    const trg = await client.query<{ name: string; table: string; fn: string; type: number; newtable: string | null; oldtable: string | null }>(`
      select t.tgname as name, c.relname as table, p.proname as fn, t.tgtype as type, t.tgnewtable as newtable, t.tgoldtable as oldtable
      from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
      join pg_proc p on p.oid = t.tgfoid
      where not t.tgisinternal and n.nspname = 'public' order by c.relname, t.tgname`);
    const triggers: TriggerInfo[] = trg.rows.map((t) => ({
      name: t.name,
      table: t.table,
      function: t.fn,
      // TRIGGER_TYPE_ROW is bit 0 of tgtype.
      row: (t.type & 1) === 1,
      newTable: t.newtable,
      oldTable: t.oldtable,
    }));

    return { relations, tenant, functionVolatility, operatorVolatility, castVolatility, functions, triggers };
  } finally {
    await client.end();
  }
}

/**
 * A migrated database to read the catalog from: `url` as given (an already migrated database), or a throwaway
 * embedded PostgreSQL migrated to the latest migration (a few seconds).
 */
export async function withMigratedCatalog(url?: string): Promise<Catalog> {
  if (url) return readCatalog(url);
  const tmp = tempClusterDir("perennial-citus-pg-");
  const pgh = await startEmbeddedPostgres({ dir: path.join(tmp, "data"), port: await freePort(), database: "perennial_citus", persistent: false, quiet: true });
  try {
    await migrateToLatest(pgh.url);
    return await readCatalog(pgh.url);
  } finally {
    await pgh.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
