// Measures the architecture numbers that docs/architecture.md "Status" records, so a later change can compare:
// import cycles (files and folders), violations of the dependency rule by rule, and route modules' server code.
// Usage: npm run arch:status [-- --root DIR] (DIR: another checkout, e.g. an exported older commit).
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";

type Dep = { resolved: string; dependencyTypes: string[]; rules?: { name: string }[]; valid: boolean };
type Mod = { source: string; dependencies: Dep[] };
type Cruise = { modules: Mod[]; summary: { violations: { rule: { name: string }; from: string; to: string; type?: string }[] } };

const rootArg = process.argv.indexOf("--root");
const root = rootArg > 0 ? path.resolve(process.argv[rootArg + 1]!) : process.cwd();
const bin = path.join(process.cwd(), "node_modules/.bin/depcruise");
const config = path.join(process.cwd(), ".dependency-cruiser.cjs");
const cruise = JSON.parse(
  execFileSync(bin, ["app", "db", "emails", "--config", config, "--output-type", "json"], { cwd: root, maxBuffer: 1 << 28 }).toString(),
) as Cruise;

/** Tarjan's strongly connected components; only those with more than one node (a cycle) are returned. */
function cycles(edges: Map<string, Set<string>>): string[][] {
  let index = 0;
  const idx = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of edges.keys()) if (!idx.has(v)) visit(v);
  return out.sort((a, b) => b.length - a.length);
}

function graph(unit: (file: string) => string, keep: (d: Dep) => boolean) {
  const edges = new Map<string, Set<string>>();
  for (const m of cruise.modules) {
    const from = unit(m.source);
    if (!edges.has(from)) edges.set(from, new Set());
    for (const d of m.dependencies) if (keep(d) && unit(d.resolved) !== from) edges.get(from)!.add(unit(d.resolved));
  }
  return edges;
}

const file = (f: string) => f;
// A folder is a module: app/domain/points, app/components/ui, app/routes, db, emails/components, … (app/*.tsx → app).
const folder = (f: string) => path.dirname(f);
const all = () => true;
const runtime = (d: Dep) => !d.dependencyTypes.includes("type-only");
// Edges that break no rule except the cycle rules: what is left once the known violations are gone.
const allowed = (d: Dep) => (d.rules ?? []).every((r) => r.name === "no-circular");

const print = (title: string, sccs: string[][]) => {
  console.log(`- ${title}: ${sccs.length} cycle(s)${sccs.length ? ", sizes " + sccs.map((s) => s.length).join(", ") : ""}`);
  for (const s of sccs) console.log(`  - ${s.join(", ")}`);
};
console.log(`## Import cycles (strongly connected components; ${cruise.modules.length} modules cruised)`);
print("files, all imports", cycles(graph(file, all)));
print("files, runtime imports only (type-only left out)", cycles(graph(file, runtime)));
print("folders, all imports", cycles(graph(folder, all)));
print("folders, if every rule violation but the cycles were removed", cycles(graph(folder, allowed)));

console.log("\n## Violations of the dependency rule (dependency-cruiser, all of them, known or not)");
const byRule = new Map<string, Set<string>>();
const edges = new Set<string>();
for (const v of cruise.summary.violations) {
  const key = `${v.from} → ${v.to}`;
  if (!byRule.has(v.rule.name)) byRule.set(v.rule.name, new Set());
  byRule.get(v.rule.name)!.add(key);
  if (v.rule.name !== "no-circular") edges.add(key);
}
for (const [rule, set] of [...byRule].sort()) console.log(`- ${rule}: ${set.size}`);
console.log(`- distinct import edges breaking a layer rule (cycles aside): ${edges.size}`);
for (const e of [...edges].sort()) console.log(`  - ${e}`);

// Route modules: server code is every top-level statement except the default-exported component and other
// top-level functions that return JSX (ErrorBoundary, small view helpers). Counted: non-blank, non-comment lines.
console.log("\n## Route modules (app/routes): lines of server code");
const routesDir = path.join(root, "app/routes");
const rows: [string, number, number][] = [];
for (const name of readdirSync(routesDir).filter((n) => /\.tsx?$/.test(n) && !/\.test\.tsx?$/.test(n))) {
  const text = readFileSync(path.join(routesDir, name), "utf8");
  const sf = ts.createSourceFile(name, text, ts.ScriptTarget.Latest, true, name.endsWith("x") ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  let defaultName: string | undefined;
  for (const s of sf.statements) if (ts.isExportAssignment(s) && ts.isIdentifier(s.expression)) defaultName = s.expression.text;
  const hasJsx = (n: ts.Node): boolean =>
    ts.isJsxElement(n) || ts.isJsxSelfClosingElement(n) || ts.isJsxFragment(n) || ts.forEachChild(n, hasJsx) === true;
  const isUi = (s: ts.Statement): boolean => {
    if (ts.isExportAssignment(s)) return true;
    const mods = ts.canHaveModifiers(s) ? (ts.getModifiers(s) ?? []) : [];
    if (mods.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword)) return true;
    if (ts.isFunctionDeclaration(s)) return s.name?.text === defaultName || (!/^(loader|action)$/.test(s.name?.text ?? "") && hasJsx(s));
    if (ts.isVariableStatement(s))
      return s.declarationList.declarations.every(
        (d) => ts.isIdentifier(d.name) && !/^(loader|action)$/.test(d.name.text) && (d.name.text === defaultName || (!!d.initializer && hasJsx(d.initializer))),
      );
    return false;
  };
  const lines = (from: number, to: number) =>
    text
      .slice(from, to)
      .split("\n")
      .filter((l) => l.trim() !== "" && !/^\s*(\/\/|\/\*|\*)/.test(l)).length;
  const server = sf.statements.filter((s) => !isUi(s)).reduce((n, s) => n + lines(s.getStart(sf), s.getEnd()), 0);
  rows.push([name, server, lines(0, text.length)]);
}
const over = rows.filter(([, s]) => s > 60).sort((a, b) => b[1] - a[1]);
const raw = rows.filter(([n]) => readFileSync(path.join(routesDir, n), "utf8").trimEnd().split("\n").length > 60).length;
console.log(`- route modules: ${rows.length}; over 60 lines in all: ${rows.filter(([, , t]) => t > 60).length} (${raw} counting blank and comment lines); over 60 lines of server code: ${over.length}`);
for (const [n, s, t] of over) console.log(`  - ${n}: ${s} server / ${t} total`);
