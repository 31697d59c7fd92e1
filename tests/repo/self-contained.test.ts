import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * A clone of the public repository has nothing beside it: no file under these folders may read the developers'
 * shared folder. Data a test, benchmark or command needs lives in tests/fixtures with its PROVENANCE.md.
 */
const ROOTS = ["app", "db", "emails", "tests", ".ci"];
const SKIP = new Set(["node_modules", "build", ".data", ".cache"]);
// Built from pieces so that this file does not match itself.
const FORBIDDEN = new RegExp(["\\.\\./shared", "shared/(data|docs|hooks)/"].join("|"));

function* files(dir: string): Generator<string> {
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* files(p);
    else if (entry.isFile() && !/\.(gz|png|jpg|ico|woff2?)$/.test(entry.name)) yield p;
  }
}

describe("the repository is self-contained", () => {
  it("no file under app/, db/, emails/, tests/ or .ci/ names the shared folder", () => {
    const offenders: string[] = [];
    for (const root of ROOTS) {
      for (const file of files(root)) {
        const lines = fs.readFileSync(file, "utf8").split("\n");
        lines.forEach((line, i) => {
          if (FORBIDDEN.test(line)) offenders.push(`${file}:${i + 1}: ${line.trim()}`);
        });
      }
    }
    expect(offenders).toEqual([]);
  });
});

describe("commands find the repository's copy of their data", () => {
  it("`npm run cli -- demo hillstrom` defaults to tests/fixtures/experiments", async () => {
    const { HILLSTROM_IN_REPO } = await import("../../app/bin/commands/incrementality.server");
    const { HILLSTROM } = await import("../fixtures");
    expect(HILLSTROM_IN_REPO).toBe(HILLSTROM);
    expect(fs.existsSync(HILLSTROM_IN_REPO)).toBe(true);
  });
});
