import pg from "pg";

/**
 * The SQL text of every statement sent to PostgreSQL while `fn` runs (pg's Client.query, which Kysely's driver
 * calls): for tests that count round trips or check what a transaction opens with.
 */
export async function statementsSent<T>(fn: () => Promise<T>): Promise<[T, string[]]> {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  const seen: string[] = [];
  proto.query = function (this: unknown, ...args: unknown[]) {
    const q = args[0];
    seen.push(typeof q === "string" ? q : String((q as { text?: string }).text));
    return original.apply(this, args);
  };
  try {
    return [await fn(), seen];
  } finally {
    proto.query = original;
  }
}
