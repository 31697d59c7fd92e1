import { sql } from "kysely";
import { createDb } from "../../app/db.server";

/**
 * The statements a bench's load ran, top 15 by total execution time, from pg_stat_statements. The server must preload
 * the extension (the embedded server does with BENCH_PG_STAT_STATEMENTS=1, see run.ts; PostgreSQL cannot load it
 * later). Call before the load (it resets the counters) and print after it; `during` names the load in the heading.
 */
export async function statementStats(ownerUrl: string, during: string): Promise<{ print: () => Promise<void> }> {
  // As the owner (a superuser on the embedded server): the app role may not create extensions.
  const owner = createDb(ownerUrl, { role: null, max: 1 });
  try {
    await sql`create extension if not exists pg_stat_statements`.execute(owner);
    await sql`select pg_stat_statements_reset()`.execute(owner);
  } catch (err) {
    await owner.destroy();
    const why = (err as Error).message;
    return { print: async () => console.log(`\npg_stat_statements: not available (${why}); run with BENCH_PG_STAT_STATEMENTS=1 on the embedded server`) };
  }
  return {
    print: async () => {
      const { rows } = await sql<{ calls: string | number; total_ms: number; mean_ms: number; query: string }>`
        select calls, round(total_exec_time::numeric, 0)::float8 as total_ms, round(mean_exec_time::numeric, 3)::float8 as mean_ms,
               regexp_replace(query, '\\s+', ' ', 'g') as query
        from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())
        order by total_exec_time desc limit 15`.execute(owner);
      await owner.destroy();
      console.log(`\npg_stat_statements, top 15 by total execution time during ${during}:`);
      for (const r of rows) console.log(`  ${String(r.total_ms).padStart(8)} ms  ${String(r.calls).padStart(7)} calls  ${String(r.mean_ms).padStart(8)} ms/call  ${r.query.slice(0, 220)}`);
    },
  };
}
