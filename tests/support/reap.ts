import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * Test and benchmark runs start their own PostgreSQL in a temp dir named `<prefix><runner pid>-…`. A run that was
 * killed (Ctrl-C twice, a CI timeout) cannot stop its server, which runs detached; the next run reaps those.
 */
export function tempClusterDir(prefix: string): string {
  reapStaleClusters(prefix);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}${process.pid}-`));
  fs.chmodSync(dir, 0o755);
  return dir;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function reapStaleClusters(prefix: string) {
  for (const name of fs.readdirSync(os.tmpdir())) {
    if (!name.startsWith(prefix)) continue;
    const owner = Number(name.slice(prefix.length).split("-")[0]);
    if (owner && alive(owner)) continue;
    const dir = path.join(os.tmpdir(), name);
    try {
      const pidFile = path.join(dir, "data", "postmaster.pid");
      if (fs.existsSync(pidFile)) {
        const pid = Number(fs.readFileSync(pidFile, "utf8").split("\n")[0]);
        if (pid && alive(pid)) process.kill(pid, "SIGQUIT");
      }
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // another run is reaping it, or it is not ours to remove
    }
  }
}
