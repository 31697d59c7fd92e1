import { canonicalType, type Catalog, type FunctionInfo, type TriggerInfo, type Volatility } from "./catalog";

/**
 * The Citus rules of docs/scale-out.md, applied to one parsed statement (libpg-query's JSON AST: PostgreSQL's own
 * parse tree, one `{ NodeType: {...} }` object per node).
 *
 * Router-plannable means Citus can send the whole statement to one shard. It decides from the statement's text, so
 * Row Level Security's implicit `merchant_id = current_setting(...)` does not count: each tenant relation must be
 * pinned by the text itself, by `merchant_id = <value>` (a parameter, literal, PL/pgSQL variable, NEW/OLD field) or by
 * an equality on merchant_id with a relation that is pinned (joins, correlated subqueries, CTE columns). The check is
 * an equality-class analysis over top-level AND conjuncts: conservative (an equality under OR does not pin) and
 * without type resolution beyond column types, declared variables and a few built-in return types.
 */

export type RuleId =
  | "tenant-filter"
  | "insert-merchant-id"
  | "trigger-own-merchant"
  | "mutable-in-update"
  | "mutable-in-on-conflict"
  | "subquery-in-on-conflict"
  | "sequence-in-function"
  | "transition-table-trigger"
  | "dynamic-sql"
  | "parse-error";

export const RULES: Record<RuleId, string> = {
  "tenant-filter": "every tenant relation is filtered by merchant_id (a value, or an equality join on merchant_id to a relation so filtered)",
  "insert-merchant-id": "an INSERT into a tenant table names its merchant_id column",
  "trigger-own-merchant": "a trigger's statements are pinned to the row's own merchant (NEW.merchant_id / OLD.merchant_id)",
  "mutable-in-update": "no VOLATILE function, and no STABLE one over column references or inside CASE/COALESCE, in UPDATE … SET or the WHERE of UPDATE/DELETE",
  "mutable-in-on-conflict": "only IMMUTABLE functions and operators in ON CONFLICT … DO UPDATE SET / WHERE",
  "subquery-in-on-conflict": "no subquery in ON CONFLICT … DO UPDATE",
  "sequence-in-function": "no sequence (nextval/currval/setval) inside a function that runs on the shards",
  "transition-table-trigger": "no statement-level trigger whose transition table is joined to other tables",
  "dynamic-sql": "no dynamic SQL (EXECUTE) in functions: its statements cannot be checked",
  "parse-error": "the statement parses",
};

export interface Finding {
  rule: RuleId;
  message: string;
}

/** Where a statement runs: sent by the app (client) or inside one of our functions. */
export interface StatementContext {
  /** The function whose body holds the statement. */
  fn?: FunctionInfo;
  /** The triggers that call `fn` (when it is a trigger function). */
  triggers?: TriggerInfo[];
  /** PL/pgSQL variables and arguments (name → canonical type, "record" for row variables). */
  vars?: Map<string, string>;
}

type Json = Record<string, unknown>;
type Node = Record<string, Json>;

const kindOf = (n: unknown): string | undefined => (n && typeof n === "object" && !Array.isArray(n) ? Object.keys(n)[0] : undefined);
const inner = (n: unknown): Json => (n as Node)[kindOf(n)!]!;
const sval = (n: unknown): string | undefined => (kindOf(n) === "String" ? (inner(n).sval as string) : undefined);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

// ---- equality classes over merchant_id ---------------------------------------------------------------------------

/** Union-find; node 0 = pinned to a value, node 1 = pinned to the trigger row's own merchant (NEW/OLD). */
class Classes {
  private parent: number[] = [0, 1];
  static readonly PIN = 0;
  static readonly OWN = 1;
  fresh(): number {
    this.parent.push(this.parent.length);
    return this.parent.length - 1;
  }
  find(x: number): number {
    while (this.parent[x] !== x) x = this.parent[x] = this.parent[this.parent[x]!]!;
    return x;
  }
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra === rb) return;
    // Keep the pin nodes as roots so "pinned" is a root check.
    if (rb <= 1) this.parent[ra] = rb;
    else this.parent[rb] = ra;
  }
  pinned(x: number): "own" | "value" | null {
    const r = this.find(x);
    if (r === this.find(Classes.OWN)) return "own";
    if (r === this.find(Classes.PIN)) return "value";
    return null;
  }
}

interface Entry {
  alias: string;
  relation: string | null;
  tenant: boolean;
  /** Column → type ("" unknown); null when the columns are unknown (set-returning functions). */
  columns: Map<string, string> | null;
  /** The class of its merchant_id (for merchants: its id). */
  mid: number;
  transition?: boolean;
}

interface Scope {
  entries: Entry[];
  parent?: Scope;
  ctes: Map<string, Output>;
}

interface Output {
  /** Output columns in order: name, class of the value when it is a merchant id, type. */
  cols: Array<{ name: string | null; mid: number | null; type: string }>;
}

type MidRef = number | "pin" | "own" | null;

interface Analysis {
  classes: Classes;
  tenantEntries: Array<{ entry: Entry; what: string }>;
  findings: Finding[];
  /** Relations the statement reads or writes (for the transition-table rule). */
  relations: Set<string>;
  transitionUsed: boolean;
}

export function checkParsedStatement(stmt: unknown, catalog: Catalog, ctx: StatementContext = {}): Finding[] {
  const a: Analysis = { classes: new Classes(), tenantEntries: [], findings: [], relations: new Set(), transitionUsed: false };
  const checker = new StatementChecker(catalog, ctx, a);
  checker.statement(stmt);
  const seen = new Set<string>();
  const inTrigger = Boolean(ctx.fn?.returnsTrigger);
  for (const { entry, what } of a.tenantEntries) {
    const p = a.classes.pinned(entry.mid);
    const key = `${entry.relation}`;
    if (!p) {
      if (seen.has(`f:${key}`)) continue;
      seen.add(`f:${key}`);
      a.findings.push({ rule: "tenant-filter", message: `${what} ${entry.relation}${entry.alias !== entry.relation ? ` (as ${entry.alias})` : ""} is not filtered by merchant_id` });
    } else if (inTrigger && p === "value" && !seen.has(`o:${key}`)) {
      seen.add(`o:${key}`);
      a.findings.push({ rule: "trigger-own-merchant", message: `${entry.relation} is pinned to a merchant other than the row's own (NEW/OLD.merchant_id)` });
    }
  }
  const transitionTriggers = (ctx.triggers ?? []).filter((t) => t.newTable || t.oldTable);
  if (transitionTriggers.length && a.transitionUsed) {
    const others = [...a.relations].filter((r) => catalog.relations.has(r) && !transitionTriggers.some((t) => t.newTable === r || t.oldTable === r));
    if (others.length)
      a.findings.push({
        rule: "transition-table-trigger",
        message: `statement-level trigger ${transitionTriggers.map((t) => t.name).join(", ")} joins its transition table to ${others.join(", ")}`,
      });
  }
  return a.findings;
}

class StatementChecker {
  constructor(
    private catalog: Catalog,
    private ctx: StatementContext,
    private a: Analysis,
  ) {}

  statement(node: unknown): void {
    const k = kindOf(node);
    const n = k ? inner(node) : {};
    switch (k) {
      case "SelectStmt":
        this.select(node, undefined);
        return;
      case "InsertStmt":
        this.insert(n);
        return;
      case "UpdateStmt":
        this.update(n);
        return;
      case "DeleteStmt":
        this.delete(n);
        return;
      case "ExplainStmt":
        this.statement(n.query);
        return;
      case "CreateTableAsStmt":
        this.statement(n.query);
        return;
      case "DeclareCursorStmt":
        this.statement(n.query);
        return;
      case "CopyStmt":
        if (n.query) this.statement(n.query);
        return;
      default:
        // Utility statements (DDL, SET, transaction control): Citus propagates or runs them locally.
        return;
    }
  }

  // ---- FROM and scopes ---------------------------------------------------------------------------------------------

  private relationEntry(rv: Json, scope: Scope | undefined, what: string): Entry {
    const name = rv.relname as string;
    const alias = ((rv.alias as Json | undefined)?.aliasname as string | undefined) ?? name;
    const cte = this.findCte(name, scope);
    if (cte && !rv.schemaname) {
      const columns = new Map(cte.cols.filter((c) => c.name).map((c) => [c.name!, c.type]));
      const mid = this.a.classes.fresh();
      const m = cte.cols.find((c) => c.name === "merchant_id");
      if (m?.mid != null) this.a.classes.union(mid, m.mid);
      return { alias, relation: null, tenant: false, columns, mid };
    }
    this.a.relations.add(name);
    const transition = (this.ctx.triggers ?? []).find((t) => t.newTable === name || t.oldTable === name);
    if (transition) {
      this.a.transitionUsed = true;
      // A transition table holds the trigger table's rows, of any merchant the statement touched.
      return { alias, relation: name, tenant: false, columns: this.catalog.relations.get(transition.table) ?? null, mid: this.a.classes.fresh(), transition: true };
    }
    // Another schema's tables (graphile-worker's) are not the app's tenant tables.
    const tenant = this.catalog.tenant.has(name) && (!rv.schemaname || rv.schemaname === "public");
    const entry: Entry = { alias, relation: name, tenant, columns: this.catalog.relations.get(name) ?? null, mid: this.a.classes.fresh() };
    if (tenant) this.a.tenantEntries.push({ entry, what });
    return entry;
  }

  private findCte(name: string, scope: Scope | undefined): Output | undefined {
    for (let s = scope; s; s = s.parent) {
      const c = s.ctes.get(name);
      if (c) return c;
    }
    return undefined;
  }

  private fromItem(item: unknown, scope: Scope): Entry[] {
    const k = kindOf(item);
    const n = inner(item);
    if (k === "RangeVar") return [this.relationEntry(n, scope, "reads")];
    if (k === "JoinExpr") {
      const left = this.fromItem(n.larg, scope);
      // The right side may be LATERAL: it sees the left side's relations.
      const right = this.fromItem(n.rarg, { entries: [...scope.entries, ...left], parent: scope.parent, ctes: scope.ctes });
      const both = [...left, ...right];
      const joined: Scope = { entries: [...scope.entries, ...both], parent: scope.parent, ctes: scope.ctes };
      for (const u of list(n.usingClause).map(sval)) {
        if (u !== "merchant_id") continue;
        const l = left.find((e) => this.hasColumn(e, "merchant_id"));
        const r = right.find((e) => this.hasColumn(e, "merchant_id"));
        if (l && r) this.a.classes.union(l.mid, r.mid);
      }
      if (n.quals) this.conjuncts(n.quals, joined);
      return both;
    }
    if (k === "RangeSubselect") {
      const out = this.select(n.subquery, scope);
      const alias = ((n.alias as Json | undefined)?.aliasname as string | undefined) ?? "(subquery)";
      return [this.derivedEntry(alias, out)];
    }
    if (k === "RangeFunction") {
      for (const f of list(n.functions)) this.expr(f, scope);
      const alias = ((n.alias as Json | undefined)?.aliasname as string | undefined) ?? "(function)";
      return [{ alias, relation: null, tenant: false, columns: null, mid: this.a.classes.fresh() }];
    }
    this.expr(n, scope);
    return [];
  }

  private derivedEntry(alias: string, out: Output): Entry {
    const mid = this.a.classes.fresh();
    const m = out.cols.find((c) => c.name === "merchant_id");
    if (m?.mid != null) this.a.classes.union(mid, m.mid);
    return { alias, relation: null, tenant: false, columns: new Map(out.cols.filter((c) => c.name).map((c) => [c.name!, c.type])), mid };
  }

  private hasColumn(e: Entry, col: string): boolean {
    return e.columns ? e.columns.has(col) : false;
  }

  private withClause(w: unknown, scope: Scope): void {
    for (const c of list((w as Json | undefined)?.ctes)) {
      const cte = inner(c);
      const out = this.statementOutput(cte.ctequery, scope);
      const names = list(cte.aliascolnames).map(sval);
      if (names.length) out.cols = out.cols.map((col, i) => ({ ...col, name: names[i] ?? col.name }));
      scope.ctes.set(cte.ctename as string, out);
    }
  }

  /** A CTE's query: a SELECT, or a data-modifying statement with RETURNING. */
  private statementOutput(node: unknown, scope: Scope): Output {
    const k = kindOf(node);
    if (k === "SelectStmt") return this.select(node, scope);
    const n = inner(node);
    if (k === "InsertStmt") return this.insert(n, scope);
    if (k === "UpdateStmt") return this.update(n, scope);
    if (k === "DeleteStmt") return this.delete(n, scope);
    return { cols: [] };
  }

  // ---- statements --------------------------------------------------------------------------------------------------

  select(node: unknown, parent: Scope | undefined): Output {
    // Set operations hold their arms unwrapped (larg/rarg are SelectStmt bodies).
    const n = (node as Node).SelectStmt ?? (node as Json);
    const scope: Scope = { entries: [], parent, ctes: new Map() };
    if (n.withClause) this.withClause(n.withClause, scope);
    if (n.op && n.op !== "SETOP_NONE") {
      const l = this.select(n.larg, scope);
      const r = this.select(n.rarg, scope);
      // The arms line up by position; a merchant_id pinned in one arm and not the other is reported on the relation.
      return {
        cols: l.cols.map((c, i) => {
          const rm = r.cols[i]?.mid;
          if (c.mid != null && rm != null) this.a.classes.union(c.mid, rm);
          return c;
        }),
      };
    }
    if (n.valuesLists) {
      const rows = list(n.valuesLists).map((row) => list(inner(row).items));
      const width = rows[0]?.length ?? 0;
      const cols: Output["cols"] = [];
      for (let i = 0; i < width; i++) {
        const refs = rows.map((r) => this.midRef(r[i], scope));
        cols.push({ name: `column${i + 1}`, mid: this.combine(refs), type: this.typeOf(rows[0]![i], scope) });
      }
      for (const r of rows) for (const e of r) this.expr(e, scope);
      return { cols };
    }
    for (const f of list(n.fromClause)) scope.entries.push(...this.fromItem(f, scope));
    if (n.whereClause) this.conjuncts(n.whereClause, scope);
    if (n.havingClause) this.conjuncts(n.havingClause, scope);
    for (const g of list(n.groupClause)) this.expr(g, scope);
    for (const s of list(n.sortClause)) this.expr(s, scope);
    for (const w of list(n.windowClause)) this.expr(w, scope);
    if (n.limitCount) this.expr(n.limitCount, scope);
    if (n.limitOffset) this.expr(n.limitOffset, scope);
    return { cols: this.targets(list(n.targetList), scope) };
  }

  private targets(targetList: unknown[], scope: Scope): Output["cols"] {
    const cols: Output["cols"] = [];
    for (const t of targetList) {
      const rt = inner(t);
      const val = rt.val;
      if (kindOf(val) === "ColumnRef") {
        const fields = list(inner(val).fields);
        if (kindOf(fields[fields.length - 1]) === "A_Star") {
          const q = fields.length > 1 ? sval(fields[0]) : undefined;
          for (const e of this.visible(scope, q)) {
            for (const [c, type] of e.columns ?? []) cols.push({ name: c, mid: c === "merchant_id" ? e.mid : null, type });
          }
          continue;
        }
      }
      this.expr(val, scope);
      const name = (rt.name as string | undefined) ?? this.impliedName(val);
      const ref = this.midRef(val, scope);
      cols.push({ name: name ?? null, mid: this.toNode(ref), type: this.typeOf(val, scope) });
    }
    return cols;
  }

  private impliedName(val: unknown): string | undefined {
    const k = kindOf(val);
    if (k === "ColumnRef") return sval(list(inner(val).fields).at(-1));
    if (k === "FuncCall") return sval(list(inner(val).funcname).at(-1));
    if (k === "TypeCast") return this.impliedName(inner(val).arg);
    return undefined;
  }

  private visible(scope: Scope, qualifier?: string): Entry[] {
    return qualifier ? scope.entries.filter((e) => e.alias === qualifier) : scope.entries;
  }

  insert(n: Json, parent?: Scope): Output {
    const scope: Scope = { entries: [], parent, ctes: new Map() };
    if (n.withClause) this.withClause(n.withClause, scope);
    const rel = n.relation as Json;
    const target = this.relationEntry(rel, undefined, "inserts into");
    const cols = list(n.cols).map((c) => inner(c).name as string);
    const mIdx = cols.indexOf("merchant_id");
    if (target.tenant && mIdx < 0) {
      this.a.findings.push({ rule: "insert-merchant-id", message: `INSERT into ${target.relation} does not name merchant_id` });
      // Reported once, as that.
      this.a.tenantEntries = this.a.tenantEntries.filter((t) => t.entry !== target);
    }
    if (n.selectStmt) {
      const out = this.select(n.selectStmt, scope);
      const m = mIdx >= 0 ? out.cols[mIdx] : undefined;
      if (m?.mid != null) this.a.classes.union(target.mid, m.mid);
    } else if (target.tenant) {
      // DEFAULT VALUES: no merchant.
    }
    const own: Scope = { entries: [target], parent: scope, ctes: new Map() };
    const oc = n.onConflictClause as Json | undefined;
    if (oc && oc.action === "ONCONFLICT_UPDATE") {
      const excluded: Entry = { alias: "excluded", relation: null, tenant: false, columns: target.columns, mid: target.mid };
      const conflictScope: Scope = { entries: [target, excluded], parent: scope, ctes: new Map() };
      for (const t of list(oc.targetList)) {
        this.expr(inner(t).val, conflictScope);
        this.onConflictRules(inner(t).val, conflictScope, `SET ${inner(t).name as string}`);
      }
      if (oc.whereClause) {
        this.expr(oc.whereClause, conflictScope);
        this.onConflictRules(oc.whereClause, conflictScope, "WHERE");
      }
    }
    return { cols: this.targets(list((n.returningClause as Json | undefined)?.exprs ?? n.returningList), own) };
  }

  update(n: Json, parent?: Scope): Output {
    const scope: Scope = { entries: [], parent, ctes: new Map() };
    if (n.withClause) this.withClause(n.withClause, scope);
    const target = this.relationEntry(n.relation as Json, scope, "updates");
    scope.entries.push(target);
    for (const f of list(n.fromClause)) scope.entries.push(...this.fromItem(f, scope));
    if (n.whereClause) {
      this.conjuncts(n.whereClause, scope);
      this.modifyRules(n.whereClause, scope, "UPDATE", "WHERE");
    }
    for (const t of list(n.targetList)) {
      const rt = inner(t);
      this.expr(rt.val, scope);
      this.modifyRules(rt.val, scope, "UPDATE", `SET ${rt.name as string}`);
    }
    return { cols: this.targets(list((n.returningClause as Json | undefined)?.exprs ?? n.returningList), scope) };
  }

  delete(n: Json, parent?: Scope): Output {
    const scope: Scope = { entries: [], parent, ctes: new Map() };
    if (n.withClause) this.withClause(n.withClause, scope);
    const target = this.relationEntry(n.relation as Json, scope, "deletes from");
    scope.entries.push(target);
    for (const f of list(n.usingClause)) scope.entries.push(...this.fromItem(f, scope));
    if (n.whereClause) {
      this.conjuncts(n.whereClause, scope);
      this.modifyRules(n.whereClause, scope, "DELETE", "WHERE");
    }
    return { cols: this.targets(list((n.returningClause as Json | undefined)?.exprs ?? n.returningList), scope) };
  }

  // ---- predicates --------------------------------------------------------------------------------------------------

  /** Top-level AND conjuncts: `x.merchant_id = <value or merchant_id>` joins or pins classes. */
  private conjuncts(expr: unknown, scope: Scope): void {
    const k = kindOf(expr);
    if (k === "BoolExpr" && inner(expr).boolop === "AND_EXPR") {
      for (const e of list(inner(expr).args)) this.conjuncts(e, scope);
      return;
    }
    if (k === "A_Expr") {
      const n = inner(expr);
      const op = sval(list(n.name)[0]);
      if (n.kind === "AEXPR_OP" && op === "=") this.equate(this.midRef(n.lexpr, scope), this.midRef(n.rexpr, scope));
      if (n.kind === "AEXPR_IN" && op === "=") {
        const items = kindOf(n.rexpr) === "List" ? list(inner(n.rexpr).items) : [];
        if (items.length === 1) this.equate(this.midRef(n.lexpr, scope), this.midRef(items[0], scope));
      }
    }
    if (k === "SubLink") {
      const n = inner(expr);
      // x.merchant_id IN (select merchant_id …): a semi-join on merchant_id.
      if (n.subLinkType === "ANY_SUBLINK" && n.testexpr && list(n.operName).map(sval).join("") !== "<>") {
        const out = this.select(n.subselect, scope);
        const first = out.cols[0];
        const left = this.midRef(n.testexpr, scope);
        if (first?.mid != null) this.equate(left, first.mid);
        return;
      }
    }
    this.expr(expr, scope);
  }

  private equate(l: MidRef, r: MidRef): void {
    if (l == null || r == null) return;
    const ln = this.toNode(l);
    const rn = this.toNode(r);
    if (ln != null && rn != null && (typeof l === "number" || typeof r === "number")) this.a.classes.union(ln, rn);
  }

  private toNode(r: MidRef): number | null {
    if (r === "pin") return Classes.PIN;
    if (r === "own") return Classes.OWN;
    return r;
  }

  private combine(refs: MidRef[]): number | null {
    if (refs.every((r) => r === "own")) return Classes.OWN;
    if (refs.every((r) => r === "pin" || r === "own")) return Classes.PIN;
    if (refs.length === 1) return this.toNode(refs[0]!);
    return null;
  }

  /**
   * What an expression is as a merchant id: the class of a relation's merchant_id (a merchants row's id), a pinned
   * value (parameter, literal, variable, NEW/OLD field: "own"), or nothing relevant (null).
   */
  private midRef(expr: unknown, scope: Scope): MidRef {
    const k = kindOf(expr);
    const n = k ? inner(expr) : {};
    if (k === "ParamRef" || k === "A_Const") return "pin";
    if (k === "TypeCast") return this.midRef(n.arg, scope);
    if (k === "FuncCall") {
      // RLS's own setting as a value: pins the statement as well as a parameter would (Citus evaluates it first).
      return sval(list(n.funcname).at(-1)) === "current_setting" ? "pin" : null;
    }
    if (k !== "ColumnRef") return null;
    const fields = list(n.fields).map(sval);
    if (fields.some((f) => f === undefined)) return null;
    const res = this.resolve(fields as string[], scope);
    if (res.kind === "column") {
      const { entry, column } = res;
      if (column === "merchant_id" || (entry.relation === "merchants" && column === "id")) return entry.mid;
      return null;
    }
    if (res.kind === "own") return "own";
    if (res.kind === "var") return "pin";
    return null;
  }

  private resolve(
    fields: string[],
    scope: Scope,
  ): { kind: "column"; entry: Entry; column: string } | { kind: "var"; type: string } | { kind: "own"; type: string } | { kind: "unknown" } {
    const vars = this.ctx.vars ?? new Map<string, string>();
    const inTrigger = this.ctx.fn?.returnsTrigger;
    if (fields.length === 1) {
      const col = fields[0]!;
      if (vars.has(col)) return { kind: "var", type: vars.get(col)! };
      for (let s: Scope | undefined = scope; s; s = s.parent) {
        const e = s.entries.find((x) => x.columns?.has(col));
        if (e) return { kind: "column", entry: e, column: col };
      }
      // SQL functions may name their arguments; anything else is an unknown column (set-returning function output).
      return { kind: "unknown" };
    }
    const [q, col] = fields.length === 3 ? [fields[1]!, fields[2]!] : [fields[0]!, fields[1]!];
    for (let s: Scope | undefined = scope; s; s = s.parent) {
      const e = s.entries.find((x) => x.alias === q);
      if (e) return { kind: "column", entry: e, column: col };
    }
    if (inTrigger && (q === "new" || q === "old")) {
      const table = this.ctx.triggers?.[0]?.table;
      return { kind: "own", type: (table && this.catalog.relations.get(table)?.get(col)) ?? "" };
    }
    if (vars.has(q) || q === this.ctx.fn?.name) return { kind: "var", type: "" };
    return { kind: "unknown" };
  }

  // ---- expressions: subqueries inside them, and the volatility rules ---------------------------------------------

  /** Walks an expression for subqueries (each analysed as a correlated SELECT in `scope`). */
  private expr(e: unknown, scope: Scope): void {
    if (Array.isArray(e)) {
      for (const x of e) this.expr(x, scope);
      return;
    }
    if (!e || typeof e !== "object") return;
    const k = kindOf(e);
    if (k === "SubLink") {
      const n = inner(e);
      if (n.testexpr) this.expr(n.testexpr, scope);
      this.select(n.subselect, scope);
      return;
    }
    if (k === "SelectStmt") {
      this.select(e, scope);
      return;
    }
    for (const v of Object.values(e as Json)) if (v && typeof v === "object") this.expr(v, scope);
  }

  private modifyRules(e: unknown, scope: Scope, command: "UPDATE" | "DELETE", where: string): void {
    for (const m of this.mutables(e, scope, false)) {
      if (m.volatility === "v") {
        this.a.findings.push({ rule: "mutable-in-update", message: `VOLATILE ${m.what} in ${command} ${where}` });
      } else if (m.hasColumn || m.inCase) {
        if (command === "DELETE" && !m.inCase) continue;
        this.a.findings.push({
          rule: "mutable-in-update",
          message: `STABLE ${m.what} ${m.hasColumn ? "over column references" : "inside CASE/COALESCE"} in ${command} ${where}`,
        });
      }
    }
  }

  private onConflictRules(e: unknown, scope: Scope, where: string): void {
    for (const m of this.mutables(e, scope, false)) {
      this.a.findings.push({ rule: "mutable-in-on-conflict", message: `${m.volatility === "v" ? "VOLATILE" : "STABLE"} ${m.what} in ON CONFLICT DO UPDATE ${where}` });
    }
    if (containsKind(e, "SubLink")) this.a.findings.push({ rule: "subquery-in-on-conflict", message: `subquery in ON CONFLICT DO UPDATE ${where}` });
  }

  /** Every call, operator or cast under `e` that is not IMMUTABLE (subqueries excluded: they are their own statements). */
  private mutables(e: unknown, scope: Scope, inCase: boolean): Array<{ what: string; volatility: Volatility; hasColumn: boolean; inCase: boolean }> {
    const out: Array<{ what: string; volatility: Volatility; hasColumn: boolean; inCase: boolean }> = [];
    const visit = (x: unknown, caseDepth: boolean): void => {
      if (Array.isArray(x)) return void x.forEach((y) => visit(y, caseDepth));
      if (!x || typeof x !== "object") return;
      const k = kindOf(x);
      if (k === "SubLink" || k === "SelectStmt") return;
      const n = k ? inner(x) : {};
      const here = (what: string, v: Volatility, args: unknown) => {
        if (v !== "i") out.push({ what, volatility: v, hasColumn: this.hasColumnRef(args, scope), inCase: caseDepth });
      };
      if (k === "FuncCall") {
        const name = sval(list(n.funcname).at(-1))!;
        here(`${name}()`, this.functionVolatility(name, list(n.args), scope), n.args);
      } else if (k === "SQLValueFunction") {
        // CURRENT_TIMESTAMP, CURRENT_DATE, LOCALTIMESTAMP, CURRENT_USER …: all STABLE.
        here((n.op as string).replace("SVFOP_", "").toLowerCase(), "s", []);
      } else if (k === "A_Expr" && (n.kind === "AEXPR_OP" || n.kind === "AEXPR_OP_ANY" || n.kind === "AEXPR_OP_ALL")) {
        const op = list(n.name).map(sval).join(".");
        const lt = n.lexpr ? this.typeOf(n.lexpr, scope) : "-";
        const rt = this.typeOf(n.rexpr, scope);
        const v = this.catalog.operatorVolatility.get(`${op} ${lt || "?"} ${rt || "?"}`);
        if (v) here(`operator ${lt} ${op} ${rt}`, v, [n.lexpr, n.rexpr]);
      } else if (k === "TypeCast" && kindOf(n.arg) !== "A_Const") {
        // A literal's cast ('365 days'::interval) is folded into a constant when the statement is parsed.
        const from = this.typeOf(n.arg, scope);
        const to = this.castType(n.typeName);
        const v = this.catalog.castVolatility.get(`${from} ${to}`);
        if (v) here(`cast ${from} → ${to}`, v, n.arg);
      }
      const nested = caseDepth || k === "CaseExpr" || k === "CoalesceExpr";
      for (const v of Object.values(n)) if (v && typeof v === "object") visit(v, nested);
    };
    visit(e, inCase);
    return out;
  }

  private functionVolatility(name: string, args: unknown[], scope: Scope): Volatility {
    const vols = this.catalog.functionVolatility.get(name);
    if (!vols || vols.size === 0) return "i";
    if (vols.size === 1) return [...vols][0]!;
    if (vols.has("v") && !vols.has("i")) return "v";
    // Overloads differ (date_trunc, to_char …): the time-zone-dependent ones take timestamptz.
    const types = args.map((a) => this.typeOf(a, scope));
    return types.includes("timestamp with time zone") ? "s" : "i";
  }

  private hasColumnRef(e: unknown, scope: Scope): boolean {
    let found = false;
    const visit = (x: unknown): void => {
      if (found || !x || typeof x !== "object") return;
      if (Array.isArray(x)) return void x.forEach(visit);
      const k = kindOf(x);
      if (k === "SubLink") return;
      if (k === "ColumnRef") {
        const fields = list(inner(x).fields).map(sval);
        if (fields.every((f) => f !== undefined) && this.resolve(fields as string[], scope).kind === "column") found = true;
        return;
      }
      for (const v of Object.values(k ? inner(x) : (x as Json))) visit(v);
    };
    visit(e);
    return found;
  }

  private castType(typeName: unknown): string {
    const t = typeName as Json;
    const names = list(t.names).map(sval).filter((s): s is string => Boolean(s));
    const base = canonicalType(names.at(-1) ?? "");
    return list(t.arrayBounds).length ? `${base}[]` : base;
  }

  /** The type of an expression where it is easy to tell ("" when not). */
  private typeOf(e: unknown, scope: Scope): string {
    const k = kindOf(e);
    if (!k) return "";
    const n = inner(e);
    switch (k) {
      case "ColumnRef": {
        const fields = list(n.fields).map(sval);
        if (fields.some((f) => f === undefined)) return "";
        const r = this.resolve(fields as string[], scope);
        if (r.kind === "column") return r.entry.columns?.get(r.column) ?? "";
        if (r.kind === "var" || r.kind === "own") return r.type;
        return "";
      }
      case "TypeCast":
        return this.castType(n.typeName);
      case "A_Const":
        if (n.ival !== undefined) return "integer";
        if (n.boolval !== undefined) return "boolean";
        return "unknown";
      case "FuncCall": {
        const name = sval(list(n.funcname).at(-1));
        if (name && ["now", "clock_timestamp", "statement_timestamp", "transaction_timestamp"].includes(name)) return "timestamp with time zone";
        if (name === "make_interval" || name === "justify_interval") return "interval";
        if ((name === "least" || name === "greatest" || name === "coalesce") && list(n.args).length) return this.typeOf(list(n.args)[0], scope);
        return "";
      }
      case "SQLValueFunction":
        return n.op === "SVFOP_CURRENT_TIMESTAMP" || n.op === "SVFOP_CURRENT_TIMESTAMP_N" ? "timestamp with time zone" : n.op === "SVFOP_CURRENT_DATE" ? "date" : "";
      case "CaseExpr": {
        for (const w of list(n.args)) {
          const t = this.typeOf(inner(w).result, scope);
          if (t && t !== "unknown") return t;
        }
        return n.defresult ? this.typeOf(n.defresult, scope) : "";
      }
      case "CoalesceExpr":
      case "MinMaxExpr":
        for (const a of list(n.args)) {
          const t = this.typeOf(a, scope);
          if (t && t !== "unknown") return t;
        }
        return "";
      case "A_Expr": {
        const lt = n.lexpr ? this.typeOf(n.lexpr, scope) : "";
        const rt = this.typeOf(n.rexpr, scope);
        const op = sval(list(n.name)[0]);
        const ts = "timestamp with time zone";
        if ((op === "+" || op === "-") && ((lt === ts && rt === "interval") || (lt === "interval" && rt === ts))) return ts;
        if (op === "-" && lt === ts && rt === ts) return "interval";
        if (["+", "-", "*", "/"].includes(op ?? "") && lt === rt) return lt;
        return "";
      }
      default:
        return "";
    }
  }
}

function containsKind(e: unknown, kind: string): boolean {
  if (!e || typeof e !== "object") return false;
  if (Array.isArray(e)) return e.some((x) => containsKind(x, kind));
  if (kindOf(e) === kind) return true;
  return Object.values(e as Json).some((v) => containsKind(v, kind));
}

/** Function names that use a sequence. */
export const SEQUENCE_FUNCTIONS = new Set(["nextval", "currval", "setval", "lastval"]);

export function usesSequence(stmt: unknown): string | null {
  let found: string | null = null;
  const visit = (x: unknown): void => {
    if (found || !x || typeof x !== "object") return;
    if (Array.isArray(x)) return void x.forEach(visit);
    const k = kindOf(x);
    if (k === "FuncCall") {
      const name = sval(list(inner(x).funcname).at(-1));
      if (name && SEQUENCE_FUNCTIONS.has(name)) {
        const arg = list(inner(x).args)[0];
        const seq = arg && kindOf(arg) === "A_Const" ? (inner(arg).sval as Json | undefined)?.sval : undefined;
        found = `${name}(${seq ? `'${String(seq)}'` : "…"})`;
        return;
      }
    }
    for (const v of Object.values(k ? inner(x) : (x as Json))) visit(v);
  };
  visit(stmt);
  return found;
}
