import { fingerprintSync, loadModule, parsePlPgSQLSync, parseSync } from "libpg-query";
import { canonicalType, type Catalog, type FunctionInfo, type TriggerInfo, type Volatility } from "./catalog";
import { checkParsedStatement, usesSequence, type Finding, type RuleId } from "./rules";

/**
 * Statements in, violations out: the app's statements as recorded (tests/support/citus-record.ts) and every
 * statement inside our SQL and PL/pgSQL functions, each parsed by PostgreSQL's own parser.
 *
 * Parser: `libpg-query` (PostgreSQL 18's parser compiled to WebAssembly). It parses everything the server does —
 * lateral joins, ON CONFLICT … WHERE, `referencing new table`, dollar-quoted bodies — and has the PL/pgSQL parser,
 * without which trigger bodies could not be checked. It is pure wasm with no install script (nothing for
 * allowScripts) and no native build. `pgsql-ast-parser` is plain JS but its own grammar: it refuses or mis-reads
 * parts of our SQL and has no PL/pgSQL at all.
 */

export interface Violation extends Finding {
  /** "fn:<name>" for a function's statement, else the app code that sent it ("app/…:line"). */
  where: string;
  fn?: string;
  origins?: string[];
  /** libpg-query's fingerprint of the statement (stable across whitespace and parameter values). */
  fingerprint: string;
  sample: string;
}

let loaded: Promise<void> | undefined;
export function loadParser(): Promise<void> {
  return (loaded ??= loadModule());
}

const sample = (text: string) => text.replace(/\s+/g, " ").trim().slice(0, 160);

function fingerprint(text: string): string {
  try {
    return fingerprintSync(text);
  } catch {
    return `text:${sample(text)}`;
  }
}

/** A statement the app sent (one text may hold several statements). */
export function checkClientStatement(text: string, catalog: Catalog, origins: string[] = []): Violation[] {
  const where = origins[0] ?? "(client)";
  let stmts: unknown[];
  try {
    stmts = (parseSync(text).stmts ?? []).map((s) => s.stmt);
  } catch (err) {
    return [{ rule: "parse-error", message: (err as Error).message, where, origins, fingerprint: `text:${sample(text)}`, sample: sample(text) }];
  }
  const fp = fingerprint(text);
  const out: Violation[] = [];
  for (const stmt of stmts) {
    if (kindOf(stmt) === "DoStmt") {
      const body = ((stmt as { DoStmt: { args: Array<{ DefElem: { defname: string; arg: { String: { sval: string } } } }> } }).DoStmt.args ?? []).find(
        (a) => a.DefElem.defname === "as",
      )?.DefElem.arg.String.sval;
      if (body) {
        const fn = functionFromDefinition(`create function pg_temp.do_block() returns void language plpgsql as $do$${body}$do$`);
        out.push(...checkFunction(fn, catalog, []).map((v) => ({ ...v, where, origins, fn: undefined })));
      }
      continue;
    }
    for (const f of checkParsedStatement(stmt, catalog)) out.push({ ...f, where, origins, fingerprint: fp, sample: sample(text) });
  }
  return out;
}

/** Every statement inside one of our functions, with the triggers that call it. */
export function checkFunction(fn: FunctionInfo, catalog: Catalog, triggers: TriggerInfo[]): Violation[] {
  const where = `fn:${fn.name}`;
  const out: Violation[] = [];
  const push = (f: Finding, text: string) => out.push({ ...f, where, fn: fn.name, fingerprint: `${fn.name}:${fingerprint(text)}`, sample: sample(text) });
  const vars = new Map(fn.args.filter((a) => !a.name.startsWith("$")).map((a) => [a.name, canonicalType(a.type)]));

  let texts: Array<{ text: string; dynamic?: boolean }>;
  if (fn.language === "sql") {
    texts = [{ text: fn.body }];
  } else {
    let parsed: unknown;
    try {
      parsed = parsePlPgSQLSync(fn.definition);
    } catch (err) {
      push({ rule: "parse-error", message: `PL/pgSQL: ${(err as Error).message}` }, fn.body);
      return out;
    }
    texts = [];
    collectPlpgsql(parsed, texts, vars);
  }

  for (const { text, dynamic } of texts) {
    if (dynamic) {
      push({ rule: "dynamic-sql", message: `EXECUTE ${sample(text)}` }, text);
      continue;
    }
    let stmts: unknown[];
    try {
      stmts = (parseSync(text).stmts ?? []).map((s) => s.stmt);
    } catch (err) {
      push({ rule: "parse-error", message: (err as Error).message }, text);
      continue;
    }
    for (const stmt of stmts) {
      const seq = usesSequence(stmt);
      if (seq) push({ rule: "sequence-in-function", message: `${seq} in function ${fn.name}` }, text);
      for (const f of checkParsedStatement(stmt, catalog, { fn, triggers, vars })) push(f, text);
    }
  }
  return dedupe(out);
}

/** The SQL inside a PL/pgSQL parse tree: statements as written, expressions and assignments as SELECTs. */
function collectPlpgsql(node: unknown, texts: Array<{ text: string; dynamic?: boolean }>, vars: Map<string, string>): void {
  if (!node || typeof node !== "object") return;
  if (Array.isArray(node)) {
    for (const n of node) collectPlpgsql(n, texts, vars);
    return;
  }
  const obj = node as Record<string, unknown>;
  for (const [k, v] of Object.entries(obj)) {
    if (k === "PLpgSQL_var" || k === "PLpgSQL_rec") {
      const d = v as { refname?: string; datatype?: { PLpgSQL_type?: { typname?: string } } };
      if (d.refname && !d.refname.startsWith("(")) vars.set(d.refname, k === "PLpgSQL_rec" ? "record" : canonicalType(d.datatype?.PLpgSQL_type?.typname ?? ""));
    }
    if (k === "PLpgSQL_stmt_dynexecute" || k === "PLpgSQL_stmt_dynfors") {
      const q = (v as { query?: { PLpgSQL_expr?: { query?: string } } }).query?.PLpgSQL_expr?.query ?? "";
      texts.push({ text: q, dynamic: true });
      continue;
    }
    if (k === "PLpgSQL_expr") {
      const e = v as { query?: string; parseMode?: number };
      const q = e.query ?? "";
      if (!q.trim()) continue;
      // parseMode: 0 a whole statement; 2 an expression; 3-5 an assignment `target := expr`.
      if (!e.parseMode) texts.push({ text: q });
      else if (e.parseMode >= 3) texts.push({ text: `select ${q.replace(/^\s*[\w."[\]]+\s*:?=\s*/, "")}` });
      else texts.push({ text: `select ${q}` });
      continue;
    }
    collectPlpgsql(v, texts, vars);
  }
}

function dedupe(vs: Violation[]): Violation[] {
  const seen = new Set<string>();
  return vs.filter((v) => {
    const key = `${v.rule}|${v.fingerprint}|${v.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function kindOf(n: unknown): string | undefined {
  return n && typeof n === "object" ? Object.keys(n)[0] : undefined;
}

/**
 * A FunctionInfo from a CREATE FUNCTION statement, as written in a migration (the unit tests check migration text
 * without a database).
 */
export function functionFromDefinition(definition: string): FunctionInfo {
  const stmt = (parseSync(definition).stmts ?? [])[0]!.stmt as { CreateFunctionStmt: Record<string, unknown> };
  const c = stmt.CreateFunctionStmt;
  const names = (c.funcname as Array<{ String: { sval: string } }>).map((n) => n.String.sval);
  const opts = new Map(
    ((c.options as Array<{ DefElem: { defname: string; arg: unknown } }>) ?? []).map((o) => [o.DefElem.defname, o.DefElem.arg] as const),
  );
  const str = (a: unknown): string => (a as { String?: { sval: string } } | undefined)?.String?.sval ?? "";
  const language = str(opts.get("language"));
  const body = ((opts.get("as") as { List?: { items: unknown[] } } | undefined)?.List?.items ?? []).map(str)[0] ?? "";
  const vol = str(opts.get("volatility"));
  const volatility: Volatility = vol === "immutable" ? "i" : vol === "stable" ? "s" : "v";
  const ret = ((c.returnType as { names?: Array<{ String: { sval: string } }> } | undefined)?.names ?? []).map((n) => n.String.sval);
  const params = (c.parameters as Array<{ FunctionParameter: { name?: string; argType: { names: Array<{ String: { sval: string } }> }; mode?: string } }>) ?? [];
  return {
    name: names.at(-1)!,
    language,
    volatility,
    securityDefiner: Boolean((opts.get("security") as { Boolean?: { boolval?: boolean } } | undefined)?.Boolean?.boolval),
    returnsTrigger: ret.at(-1) === "trigger",
    args: params
      .filter((p) => p.FunctionParameter.mode !== "FUNC_PARAM_OUT" && p.FunctionParameter.mode !== "FUNC_PARAM_TABLE")
      .map((p, i) => ({ name: p.FunctionParameter.name ?? `$${i + 1}`, type: canonicalType(p.FunctionParameter.argType.names.map((n) => n.String.sval).at(-1) ?? "") })),
    body,
    definition,
  };
}

export type { RuleId };
