import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const SOURCES = ["app", "emails", "public", "vite.config.ts", "remix.config.js", "package.json"];

/**
 * Builds the Remix app when the build is missing or older than the sources, so `npm start` works on a fresh
 * clone and after a `git pull` without a separate build step.
 */
export function ensureBuild(log: (line: string) => void = () => {}, root = process.cwd()): void {
  const serverBuild = path.join(root, "build/server/index.js");
  const builtAt = fs.existsSync(serverBuild) ? fs.statSync(serverBuild).mtimeMs : 0;
  const newest = Math.max(...SOURCES.map((p) => newestMtime(path.join(root, p))));
  if (builtAt > newest) return;
  log(builtAt ? "sources changed since the last build; rebuilding…" : "building the app (first start only)…");
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [path.join(root, "node_modules/@remix-run/dev/dist/cli.js"), "vite:build"], {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, NODE_ENV: "production" },
  });
  if (r.status !== 0) throw new Error("the build failed (see the errors above)");
  log(`built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

function newestMtime(p: string): number {
  if (!fs.existsSync(p)) return 0;
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const entry of fs.readdirSync(p)) {
    if (entry === "node_modules" || entry.startsWith(".")) continue;
    max = Math.max(max, newestMtime(path.join(p, entry)));
  }
  return max;
}
