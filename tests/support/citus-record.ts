import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";

/**
 * Statement recorder for the Citus check (tests/citus/check.ts), loaded as an integration setup file only when
 * CITUS_CHECK_LOG=<dir> is set (vitest.config.ts), so normal runs are untouched.
 *
 * It wraps pg's Client#query, the one door every statement of this process goes through (Kysely, raw pg, the job
 * worker), and appends each new (statement text, origin) pair to <dir>/statements-<pid>.jsonl. The origin is the
 * first frame of this checkout outside node_modules, so the checker can tell product code (app/, db/) from the
 * tests' own set-up and assertions. Stacks are taken only until a text has been seen from a product frame (or a few
 * times): repeated statements cost a Map lookup.
 */

const dir = process.env.CITUS_CHECK_LOG;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..") + path.sep;

export interface RecordedStatement {
  text: string;
  /** "app/domain/x.server.ts:12" — or "tests/…", or "(library)" when no frame of this checkout was on the stack. */
  origin: string;
  /** The connection's role option: the app runs as perennial_app; the owner URL (tests, migrations) has none. */
  role: string | null;
}

const PROBES_PER_TEXT = 8;

type Patched = typeof pg.Client.prototype.query & { __citusRecorder?: true };
const g = globalThis as { __perennialCitusRecorder?: true };

if (dir && !g.__perennialCitusRecorder) {
  g.__perennialCitusRecorder = true;
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `statements-${process.pid}.jsonl`);
  // text → { probes left, origins already written }
  const seen = new Map<string, { probes: number; origins: Set<string>; product: boolean }>();
  const original = pg.Client.prototype.query as Patched;
  if (!original.__citusRecorder) {
    const wrapped = function (this: pg.Client, ...args: unknown[]) {
      try {
        record(this, args[0]);
      } catch {
        // Recording must never change what a test sees.
      }
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as unknown as Patched;
    wrapped.__citusRecorder = true;
    pg.Client.prototype.query = wrapped;
  }

  function record(client: pg.Client, first: unknown): void {
    const text = typeof first === "string" ? first : (first as { text?: unknown } | null)?.text;
    if (typeof text !== "string" || !text.trim()) return;
    let entry = seen.get(text);
    if (!entry) seen.set(text, (entry = { probes: PROBES_PER_TEXT, origins: new Set(), product: false }));
    if (entry.product || entry.probes <= 0) return;
    entry.probes--;
    const origin = originOf(new StackCarrier().stack ?? "");
    if (origin.startsWith("app/") || origin.startsWith("db/")) entry.product = true;
    if (entry.origins.has(origin)) return;
    entry.origins.add(origin);
    const options = (client as unknown as { connectionParameters?: { options?: string } }).connectionParameters?.options ?? "";
    const role = /-c role=(\S+)/.exec(options)?.[1] ?? null;
    const line: RecordedStatement = { text, origin, role };
    fs.appendFileSync(file, JSON.stringify(line) + "\n");
  }
}

/** An Error whose stack reaches past Kysely's and pg's own frames to the caller (async frames included). */
class StackCarrier extends Error {
  constructor() {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 60;
    super("stack");
    Error.stackTraceLimit = limit;
  }
}

function originOf(stack: string): string {
  for (const line of stack.split("\n").slice(1)) {
    const m = /\(?((?:file:\/\/)?\/[^():]+):(\d+):\d+\)?\s*$/.exec(line);
    if (!m) continue;
    const file = m[1]!.replace(/^file:\/\//, "");
    if (!file.startsWith(root) || file.includes(`${path.sep}node_modules${path.sep}`)) continue;
    const rel = file.slice(root.length);
    // The recorder itself, and the connection layer (its driver sends a transaction's deferred begin and writes with
    // the next statement), are not where a statement comes from: the caller is.
    if (rel === "tests/support/citus-record.ts" || rel === "app/db.server.ts") continue;
    return `${rel}:${m[2]}`;
  }
  return "(library)";
}
