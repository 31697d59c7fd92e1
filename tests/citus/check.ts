import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import type { RecordedStatement } from "../support/citus-record";
import { checkClientStatement, checkFunction, loadParser, type Violation } from "./analyze";
import { withMigratedCatalog, type Catalog } from "./catalog";
import { EXEMPTIONS, type Exemption } from "./exemptions";

/**
 * npm run check:citus [-- options]: the Citus statement check (docs/scale-out.md, issue 15).
 *
 *   (no option)          runs the integration suite with the statement recorder on, then checks
 *   --from DIR           checks the statements a prior run recorded (CITUS_CHECK_LOG=DIR npx vitest run --project integration)
 *   --database-url URL   reads the schema from this migrated database instead of a throwaway embedded one
 *   --all                prints exempted and to-do violations too, not only the unlisted ones
 *   --json FILE          writes every violation (with its exemption, if any) to FILE
 *   -- <vitest args>     with no --from: passed to vitest (e.g. a few files)
 *
 * Fails (exit 1) on a violation no exemption matches; exit 2 when the recording run itself failed.
 */

const { values, positionals } = parseArgs({
  options: {
    from: { type: "string" },
    "database-url": { type: "string" },
    all: { type: "boolean", default: false },
    json: { type: "string" },
  },
  allowPositionals: true,
});

const t0 = performance.now();
let dir = values.from;
let recordFailed = false;
let recordSecs = 0;
if (!dir) {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "perennial-citus-log-"));
  console.log(`recording the integration suite's statements into ${dir}`);
  const r0 = performance.now();
  const run = spawnSync("npx", ["vitest", "run", "--project", "integration", ...positionals], {
    stdio: "inherit",
    env: { ...process.env, CITUS_CHECK_LOG: dir },
  });
  recordSecs = (performance.now() - r0) / 1000;
  recordFailed = run.status !== 0;
  if (recordFailed) console.error(`\nthe recording run failed (exit ${run.status}): the check below covers only what it recorded`);
}

const recorded = readRecorded(dir);
await loadParser();
const catalog = await withMigratedCatalog(values["database-url"]);
const c0 = performance.now();
const { violations, skippedTests } = checkAll(recorded, catalog);
const checkSecs = (performance.now() - c0) / 1000;

const matched = new Map<Exemption, number>();
const unlisted: Violation[] = [];
const listed: Array<{ v: Violation; e: Exemption }> = [];
for (const v of violations) {
  const e = EXEMPTIONS.find((x) => x.rule === v.rule && (x.fn ? x.fn === v.fn : x.fingerprint === v.fingerprint));
  if (e) {
    matched.set(e, (matched.get(e) ?? 0) + 1);
    listed.push({ v, e });
  } else unlisted.push(v);
}

if (values.all) {
  for (const status of ["todo", "exempt"] as const) {
    const mine = listed.filter((l) => l.e.status === status);
    if (!mine.length) continue;
    console.log(`\n== ${status} (${mine.length}) ==`);
    printGrouped(mine.map((l) => l.v));
  }
}
if (unlisted.length) {
  console.log(`\n== violations on no list (${unlisted.length}) ==`);
  printGrouped(unlisted);
  console.log("\nAdd each to tests/citus/exemptions.ts (as todo or exempt, with the reason), or fix the statement. Entries:");
  for (const v of unlisted) console.log(`  ${entryFor(v)},`);
}
const stale = EXEMPTIONS.filter((e) => !matched.has(e));
if (stale.length) {
  console.log(`\n== exemptions that matched nothing (${stale.length}): delete them once the whole suite ran ==`);
  for (const e of stale) console.log(`  ${e.rule} ${e.fn ? `fn:${e.fn}` : e.fingerprint} ${e.sample ?? ""}`);
}
if (values.json) fs.writeFileSync(values.json, JSON.stringify(violations.map((v) => ({ ...v, exemption: listed.find((l) => l.v === v)?.e ?? null })), null, 2));

const todo = listed.filter((l) => l.e.status === "todo").length;
const exempt = listed.length - todo;
console.log(
  `\ncitus check: ${recorded.size - skippedTests} distinct app statements, ${catalog.functions.length} functions, ${catalog.tenant.size} tenant tables; ` +
    `${skippedTests} test-only statements skipped; ${violations.length} violations: ${unlisted.length} unlisted, ${todo} todo, ${exempt} exempt` +
    ` (${recordSecs ? `recording ${recordSecs.toFixed(0)} s, ` : ""}check ${checkSecs.toFixed(1)} s, total ${((performance.now() - t0) / 1000).toFixed(0)} s)`,
);
// The recording of this run only (a --from directory is the caller's).
if (!values.from) fs.rmSync(dir, { recursive: true, force: true });
process.exit(recordFailed ? 2 : unlisted.length ? 1 : 0);

// ---------------------------------------------------------------------------------------------------------------------

/** text → origins, from every worker's file. */
function readRecorded(from: string): Map<string, { origins: Set<string> }> {
  const out = new Map<string, { origins: Set<string> }>();
  const files = fs.existsSync(from) ? fs.readdirSync(from).filter((f) => f.startsWith("statements-") && f.endsWith(".jsonl")) : [];
  if (!files.length) throw new Error(`no recorded statements in ${from} (run the integration suite with CITUS_CHECK_LOG=${from})`);
  for (const f of files) {
    for (const line of fs.readFileSync(path.join(from, f), "utf8").split("\n")) {
      if (!line.trim()) continue;
      const r = JSON.parse(line) as RecordedStatement;
      let e = out.get(r.text);
      if (!e) out.set(r.text, (e = { origins: new Set() }));
      e.origins.add(r.origin);
    }
  }
  return out;
}

/** The app's statements (sent from app/ or db/ code, or by a library such as graphile-worker) and our functions. */
function checkAll(recorded: Map<string, { origins: Set<string> }>, cat: Catalog): { violations: Violation[]; skippedTests: number } {
  const violations: Violation[] = [];
  let skippedTests = 0;
  const byFingerprint = new Map<string, Violation>();
  for (const [text, { origins }] of recorded) {
    const product = [...origins].filter((o) => !o.startsWith("tests/"));
    if (!product.length) {
      skippedTests++;
      continue;
    }
    for (const v of checkClientStatement(text, cat, product.sort())) {
      // One entry per statement shape: texts differing only in parameter count (IN lists) share a fingerprint.
      const key = `${v.rule}|${v.fingerprint}|${v.message}`;
      const prev = byFingerprint.get(key);
      if (prev) {
        prev.origins = [...new Set([...(prev.origins ?? []), ...(v.origins ?? [])])].sort();
        continue;
      }
      byFingerprint.set(key, v);
      violations.push(v);
    }
  }
  for (const fn of cat.functions) {
    violations.push(...checkFunction(fn, cat, cat.triggers.filter((t) => t.function === fn.name)));
  }
  return { violations, skippedTests };
}

function printGrouped(vs: Violation[]): void {
  const byRule = new Map<string, Violation[]>();
  for (const v of vs) byRule.set(v.rule, [...(byRule.get(v.rule) ?? []), v]);
  for (const [rule, list] of byRule) {
    console.log(`\n-- ${rule} (${list.length})`);
    for (const v of list) {
      console.log(`  ${v.fn ? `fn:${v.fn}` : (v.origins ?? []).slice(0, 3).join(", ")}: ${v.message}`);
      console.log(`      ${v.sample}${v.fn ? "" : `  [${v.fingerprint}]`}`);
    }
  }
}

function entryFor(v: Violation): string {
  const key = v.fn ? `fn: ${JSON.stringify(v.fn)}` : `fingerprint: ${JSON.stringify(v.fingerprint)}, origin: ${JSON.stringify(v.origins?.[0] ?? "")}`;
  return `{ rule: ${JSON.stringify(v.rule)}, ${key}, sample: ${JSON.stringify(v.sample.slice(0, 100))}, status: "todo", reason: ${JSON.stringify(v.message)} }`;
}
