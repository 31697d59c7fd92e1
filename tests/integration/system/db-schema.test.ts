import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { beforeAll, describe, expect, it } from "vitest";
import { adminQuery } from "../../support/global-setup";
import { ownerUrl } from "../../support/db";

/**
 * db/schema.ts is written by hand; this keeps it honest against the migrated database. Every table and view in
 * `public` must have an entry in the `Database` interface and vice versa, with the same columns, nullability, a
 * TypeScript type that matches what node-postgres returns (with the parsers in app/db.server.ts), and an optional
 * insert type exactly where the database fills the column in.
 *
 * The worker's database is a clone of the migrated template; reading it instead of the template itself matters,
 * because PostgreSQL refuses `create database … template` while anyone is connected to the template.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const SCHEMA_TS = path.join(ROOT, "db/schema.ts");

/** Kysely's Migrator bookkeeping: the app never queries it, so schema.ts leaves it out on purpose. */
const NOT_IN_SCHEMA_TS = new Set(["kysely_migration", "kysely_migration_lock"]);

// ---- the database side -----------------------------------------------------------------------------------

interface DbColumn {
  table: string;
  isView: boolean;
  column: string;
  sqlType: string;
  /** The column's type with domains unwrapped; for arrays, the element's type. */
  scalar: string;
  isArray: boolean;
  nullable: boolean;
  hasDefault: boolean;
  /** GENERATED ALWAYS (identity or stored expression): PostgreSQL refuses a value on insert. */
  generatedAlways: boolean;
  /** Allowed values: the enum's labels, or a single-column `check (col in (…))`. */
  allowed: string[] | null;
}

async function readDatabase(url: string): Promise<DbColumn[]> {
  const rows = await adminQuery(
    url,
    `select c.relname as table, c.relkind in ('v', 'm') as is_view, a.attname as column,
            format_type(a.atttypid, a.atttypmod) as sql_type,
            coalesce(et.typname, bt.typname) as scalar, et.oid is not null as is_array,
            not a.attnotnull as nullable,
            a.atthasdef or a.attidentity <> '' as has_default,
            a.attidentity = 'a' or a.attgenerated <> '' as generated_always,
            (select json_agg(e.enumlabel order by e.enumsortorder) from pg_enum e
              where e.enumtypid = coalesce(et.oid, bt.oid)) as enum_labels,
            (select json_agg(pg_get_constraintdef(k.oid)) from pg_constraint k
              where k.conrelid = c.oid and k.contype = 'c' and k.conkey = array[a.attnum]) as checks
       from pg_class c
       join pg_namespace n on n.oid = c.relnamespace
       join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
       join pg_type t on t.oid = a.atttypid
       join pg_type bt on bt.oid = case when t.typtype = 'd' then t.typbasetype else t.oid end
       left join pg_type et on bt.typcategory = 'A' and et.oid = bt.typelem
      where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm', 'f') and not c.relispartition
      order by c.relname, a.attnum`,
  );
  return rows.map((r) => {
    const row = r as unknown as Record<string, unknown>;
    const enumLabels = row.enum_labels as string[] | null;
    const checks = (row.checks as string[] | null) ?? [];
    return {
      table: String(row.table),
      isView: row.is_view === true,
      column: String(row.column),
      sqlType: String(row.sql_type),
      scalar: String(row.scalar),
      isArray: row.is_array === true,
      nullable: row.nullable === true,
      hasDefault: row.has_default === true,
      generatedAlways: row.generated_always === true,
      allowed: enumLabels ?? checks.map((def) => checkedValues(def, String(row.column))).find((v) => v !== null) ?? null,
    };
  });
}

/**
 * The values a single-column check allows, for the two shapes PostgreSQL prints `col in ('a', 'b')` and
 * `col = 'a'` as; null for any other check (ranges, lengths, …).
 */
function checkedValues(def: string, column: string): string[] | null {
  const col = `\\(?"?${column}"?\\)?(?:::text)?`;
  const lit = `'(?:[^']|'')*'::(?:text|character varying)`;
  const anyOf = new RegExp(`^CHECK \\(\\(${col} = ANY \\(\\(?ARRAY\\[(${lit}(?:, ${lit})*)\\](?:\\)::text\\[\\])?\\)\\)\\)$`);
  const one = new RegExp(`^CHECK \\(\\(${col} = (${lit})\\)\\)$`);
  const list = anyOf.exec(def)?.[1] ?? one.exec(def)?.[1];
  if (!list) return null;
  return [...list.matchAll(/'((?:[^']|'')*)'::/g)].map((m) => m[1]!.replaceAll("''", "'"));
}

// ---- the schema.ts side ----------------------------------------------------------------------------------

/** What a column's TypeScript type says, after Kysely's ColumnType<Select, Insert, Update> is taken apart. */
interface TsColumn {
  /** Union members of the select type, described: 'string', 'number', 'boolean', 'Date', 'Buffer', 'unknown', 'object', 'T[]'. */
  kinds: Set<string>;
  literals: Set<string>;
  nullable: boolean;
  /** The insert type admits `undefined` (Generated<>, or a ColumnType whose insert type is optional). */
  insertOptional: boolean;
  /** The insert type is `never` (GeneratedAlways-style). */
  insertNever: boolean;
  optionalProperty: boolean;
}
type TsSchema = Map<string, Map<string, TsColumn>>;

const compilerOptions: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  types: [],
  // es5 holds Date, Array and Record; the full lib and @types/node would triple the time this test takes.
  lib: ["lib.es5.d.ts"],
};
/**
 * schema.ts names Node's Buffer; a stand-in of the same name (served from memory, no file on disk) lets the checker
 * resolve it without @types/node.
 */
const BUFFER_SHIM = path.join(ROOT, "db/__buffer-shim__.d.ts");
// Kysely's internal layout: if an upgrade moves it, schema.ts stops type-checking here and the test says so.
const KYSELY_COLUMN_TYPES = path.join(ROOT, "node_modules/kysely/dist/esm/util/column-type.d.ts");

/** Type-checks schema.ts (or `source` in its place) and reads the `Database` interface's tables and columns. */
function readSchemaTs(source?: string, oldProgram?: ts.Program): { schema: TsSchema; program: ts.Program } {
  const host = ts.createCompilerHost(compilerOptions);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (f) => (f === BUFFER_SHIM ? "declare class Buffer extends Uint8Array {}" : readFile(f));
  host.getSourceFile = (f, lang, onError) =>
    f === SCHEMA_TS && source !== undefined
      ? ts.createSourceFile(f, source, lang)
      : f === BUFFER_SHIM
        ? ts.createSourceFile(f, host.readFile(f)!, lang)
        : getSourceFile(f, lang, onError);
  // Only kysely's column-type declarations, not the whole package: ColumnType is all schema.ts uses from it.
  host.resolveModuleNameLiterals = (literals, containing, _redirect, options) =>
    literals.map((l) =>
      l.text === "kysely"
        ? { resolvedModule: { resolvedFileName: KYSELY_COLUMN_TYPES, extension: ts.Extension.Dts, isExternalLibraryImport: true } }
        : ts.resolveModuleName(l.text, containing, options, host),
    );
  const program = ts.createProgram([SCHEMA_TS, BUFFER_SHIM], compilerOptions, host, oldProgram);
  const checker = program.getTypeChecker();
  const file = program.getSourceFile(SCHEMA_TS)!;
  const errors = ts.getPreEmitDiagnostics(program, file).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
  if (errors.length) throw new Error(`db/schema.ts does not type-check:\n${errors.join("\n")}`);

  const database = checker.getExportsOfModule(checker.getSymbolAtLocation(file)!).find((s) => s.name === "Database");
  if (!database) throw new Error("db/schema.ts exports no `Database`");
  const typeOf = (s: ts.Symbol) => checker.getTypeOfSymbolAtLocation(s, file);
  const members = (t: ts.Type) => (t.isUnion() ? t.types : [t]);

  const schema: TsSchema = new Map();
  for (const table of checker.getDeclaredTypeOfSymbol(database).getProperties()) {
    const columns = new Map<string, TsColumn>();
    for (const column of typeOf(table).getProperties()) {
      const selects: ts.Type[] = [];
      const inserts: ts.Type[] = [];
      for (const m of members(typeOf(column))) {
        const select = m.getProperty("__select__");
        const insert = m.getProperty("__insert__");
        selects.push(...(select ? members(typeOf(select)) : [m]));
        inserts.push(...(insert ? members(typeOf(insert)) : [m]));
      }
      const described = describeTypes(checker, selects);
      columns.set(column.name, {
        ...described,
        insertOptional: inserts.some((t) => t.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Unknown | ts.TypeFlags.Any)),
        insertNever: inserts.every((t) => t.flags & ts.TypeFlags.Never),
        optionalProperty: (column.flags & ts.SymbolFlags.Optional) !== 0,
      });
    }
    schema.set(table.name, columns);
  }
  return { schema, program };
}

function describeTypes(checker: ts.TypeChecker, types: readonly ts.Type[]): Pick<TsColumn, "kinds" | "literals" | "nullable"> {
  const kinds = new Set<string>();
  const literals = new Set<string>();
  let nullable = false;
  for (const t of types) {
    if (t.flags & ts.TypeFlags.Null) nullable = true;
    else if (t.flags & ts.TypeFlags.StringLiteral) literals.add((t as ts.StringLiteralType).value);
    else if (t.flags & ts.TypeFlags.String) kinds.add("string");
    else if (t.flags & ts.TypeFlags.NumberLike) kinds.add("number");
    else if (t.flags & ts.TypeFlags.BooleanLike) kinds.add("boolean");
    else if (t.flags & (ts.TypeFlags.Unknown | ts.TypeFlags.Any)) kinds.add("unknown");
    else if (checker.isArrayType(t)) {
      const element = describeTypes(checker, [checker.getTypeArguments(t as ts.TypeReference)[0]!]);
      kinds.add(`${[...element.kinds, ...(element.literals.size ? ["string"] : [])].join("|")}[]`);
    } else if (t.flags & ts.TypeFlags.Object) {
      const name = t.getSymbol()?.name;
      kinds.add(name === "Date" || name === "Buffer" ? name : "object");
    } else kinds.add(checker.typeToString(t));
  }
  return { kinds, literals, nullable };
}

// ---- the comparison --------------------------------------------------------------------------------------

/** What node-postgres hands back for each PostgreSQL type (int8 → number, date and numeric → string: app/db.server.ts). */
const TS_KIND_FOR_PG: Record<string, string> = {
  text: "string",
  varchar: "string",
  bpchar: "string",
  citext: "string",
  uuid: "string",
  inet: "string",
  date: "string",
  numeric: "string",
  int2: "number",
  int4: "number",
  int8: "number",
  float4: "number",
  float8: "number",
  bool: "boolean",
  timestamptz: "Date",
  timestamp: "Date",
  bytea: "Buffer",
};
const JSON_KINDS = new Set(["unknown", "object"]);

function compare(dbColumns: DbColumn[], schema: TsSchema): string[] {
  const problems: string[] = [];
  const dbTables = new Map<string, DbColumn[]>();
  for (const c of dbColumns) {
    if (NOT_IN_SCHEMA_TS.has(c.table)) continue;
    dbTables.set(c.table, [...(dbTables.get(c.table) ?? []), c]);
  }
  for (const table of schema.keys()) {
    if (!dbTables.has(table)) problems.push(`${table}: in schema.ts, not in the database`);
  }
  for (const [table, columns] of dbTables) {
    const tsTable = schema.get(table);
    if (!tsTable) {
      problems.push(`${table}: in the database, missing from schema.ts`);
      continue;
    }
    for (const name of tsTable.keys()) {
      if (!columns.some((c) => c.column === name)) problems.push(`${table}.${name}: in schema.ts, not in the database`);
    }
    for (const col of columns) {
      const tsCol = tsTable.get(col.column);
      const where = `${table}.${col.column} (${col.sqlType})`;
      if (!tsCol) {
        problems.push(`${table}.${col.column}: in the database, missing from schema.ts`);
        continue;
      }
      problems.push(...typeProblems(col, tsCol).map((p) => `${where}: ${p}`));
    }
  }
  return problems;
}

function typeProblems(col: DbColumn, column: TsColumn): string[] {
  const out: string[] = [];
  const kinds = [...column.kinds, ...(column.literals.size ? ["string"] : [])];
  const isJson = col.scalar === "json" || col.scalar === "jsonb";
  const expected = isJson ? null : col.isArray ? `${TS_KIND_FOR_PG[col.scalar]}[]` : (TS_KIND_FOR_PG[col.scalar] ?? (col.allowed ? "string" : undefined));

  if (column.optionalProperty) out.push("declared with `?:`; Kysely wants every column present (use `T | null` or Generated<T>)");
  if (isJson) {
    // json: whatever shape the code parses it into, but not a scalar
    if (!kinds.every((k) => JSON_KINDS.has(k) || k.endsWith("[]"))) out.push(`json column typed ${kinds.join(" | ")}`);
  } else if (!expected || expected.startsWith("undefined")) {
    out.push(`no TypeScript mapping for PostgreSQL type ${col.scalar}: add it to TS_KIND_FOR_PG`);
  } else if (kinds.length !== 1 || kinds[0] !== expected) {
    out.push(`expected ${expected}, schema.ts says ${kinds.join(" | ") || "nothing"}`);
  }

  if (column.literals.size && col.allowed) {
    const a = [...column.literals].sort();
    const b = [...col.allowed].sort();
    if (a.join("\0") !== b.join("\0")) out.push(`schema.ts allows ${a.join(", ")}; the database allows ${b.join(", ")}`);
  }

  // A view's columns are always reported nullable; `unknown` already includes null.
  if (!col.isView && !column.kinds.has("unknown") && col.nullable !== column.nullable) {
    out.push(col.nullable ? "nullable in the database, not `| null` in schema.ts" : "NOT NULL in the database, `| null` in schema.ts");
  }

  if (!col.isView) {
    if (col.generatedAlways && !column.insertNever) out.push("generated always: the insert type should be `never`");
    else if (!col.generatedAlways && column.insertNever) out.push("insert type `never`, but the database accepts a value");
    else if (col.hasDefault && !col.nullable && !column.insertOptional && !column.insertNever) out.push("has a default: wrap it in Generated<>");
    else if (!col.hasDefault && !col.nullable && column.insertOptional) out.push("no default and NOT NULL, yet optional on insert");
  }
  return out;
}

// ---- the tests -------------------------------------------------------------------------------------------

describe("db/schema.ts against the migrated database", () => {
  let dbColumns: DbColumn[];
  let schemaTs: ReturnType<typeof readSchemaTs>;

  beforeAll(async () => {
    [dbColumns, schemaTs] = await Promise.all([readDatabase(ownerUrl), Promise.resolve().then(() => readSchemaTs())]);
  });

  it("declares every table and column, with matching types, nullability and defaults", () => {
    expect(dbColumns.length).toBeGreaterThan(100);
    expect(compare(dbColumns, schemaTs.schema)).toEqual([]);
  });

  it("notices drift: a column removed, a nullability, a type, a default and an allowed value changed", () => {
    const source = fs.readFileSync(SCHEMA_TS, "utf8");
    const mutations: Array<[RegExp, string]> = [
      [/^ {2}refunded_minor: Generated<number>;\n/m, ""],
      [/^ {2}external_order_id: string;$/m, "  external_order_id: string | null;"],
      [/^ {2}amount_minor: number;$/m, "  amount_minor: string;"],
      [/^ {2}dispute_status: Generated<DisputeStatus>;$/m, "  dispute_status: DisputeStatus;"],
      [/^export type OrderSource = .*$/m, 'export type OrderSource = "api" | "stripe" | "import";'],
    ];
    let mutated = source;
    for (const [pattern, replacement] of mutations) {
      const next = mutated.replace(pattern, replacement);
      expect(next, String(pattern)).not.toBe(mutated);
      mutated = next;
    }
    // Only what the mutations add: real drift is the first test's to report.
    const before = new Set(compare(dbColumns, schemaTs.schema));
    const problems = compare(dbColumns, readSchemaTs(mutated, schemaTs.program).schema).filter((p) => !before.has(p));
    expect(problems.sort()).toEqual([
      "orders.amount_minor (bigint): expected number, schema.ts says string",
      "orders.dispute_status (text): has a default: wrap it in Generated<>",
      "orders.external_order_id (text): NOT NULL in the database, `| null` in schema.ts",
      "orders.refunded_minor: in the database, missing from schema.ts",
      "orders.source (text): schema.ts allows api, import, stripe; the database allows api, import, seed, stripe",
    ]);
  });
});
