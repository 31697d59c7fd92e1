import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The dependency rule of docs/architecture.md fails lint when broken: the repository's own
 * .dependency-cruiser.cjs is run (as `npm run lint:deps` runs it) on a small tree of files that break one rule each,
 * and on files that keep it. If someone loosens a rule so that an upward import passes, this fails.
 */

const repo = path.resolve(__dirname, "../..");
let dir = "";

const files: Record<string, string> = {
  // Kept: a flow may import programs and the ledger; channels may import flows; web may import anything below.
  "app/lib/money.ts": "export const cents = 1;\n",
  "app/domain/points/ledger.server.ts": 'import { cents } from "~/lib/money";\nexport const post = cents;\n',
  "app/domain/tiers/tiers.server.ts": 'import { post } from "~/domain/points/ledger.server";\nexport const tier = post;\n',
  "app/domain/offers/offers.server.ts": "export const offer = 1;\n",
  "app/domain/flows/purchase.server.ts": 'import { tier } from "~/domain/tiers/tiers.server";\nimport { offer } from "~/domain/offers/offers.server";\nexport const buy = tier + offer;\n',
  "app/api/orders.server.ts": 'import { buy } from "~/domain/flows/purchase.server";\nexport const api = buy;\n',
  "app/routes/orders.tsx": 'import { api } from "~/api/orders.server";\nexport const loader = api;\n',
  // Broken, one rule each.
  "app/domain/points/upward.server.ts": 'import { buy } from "~/domain/flows/purchase.server";\nexport const up = buy;\n',
  "app/domain/referrals/sideways.server.ts": 'import { tier } from "~/domain/tiers/tiers.server";\nexport const side = tier;\n',
  "app/domain/members/to-web.server.ts": 'import { loader } from "~/routes/orders";\nexport const web = loader;\n',
  "app/auth/guards.server.ts": 'import { tier } from "~/domain/tiers/tiers.server";\nexport const guard = tier;\n',
  "app/lib/ping.ts": 'import { pong } from "./pong";\nexport const ping = () => pong;\n',
  "app/lib/pong.ts": 'import { ping } from "./ping";\nexport const pong = () => ping;\n',
};

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

function cruise(): Violation[] {
  const bin = path.join(repo, "node_modules/dependency-cruiser/bin/dependency-cruise.mjs");
  let out: string;
  try {
    out = execFileSync(process.execPath, [bin, "app", "--config", path.join(repo, ".dependency-cruiser.cjs"), "--output-type", "json"], { cwd: dir, encoding: "utf8" });
  } catch (err) {
    // Errors make the command exit non-zero (that is how lint fails); the report is still on stdout.
    out = (err as { stdout: string }).stdout;
  }
  return (JSON.parse(out) as { summary: { violations: Violation[] } }).summary.violations;
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "perennial-deprule-"));
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { baseUrl: ".", paths: { "~/*": ["app/*"] }, module: "ESNext", moduleResolution: "Bundler" } }));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("the dependency rule (.dependency-cruiser.cjs)", () => {
  it("fails on an upward import, programs importing each other, the domain importing web, auth importing the domain and a cycle — and only on those", { timeout: 60_000 }, () => {
    const violations = cruise();
    const found = violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
    const from = new Set(violations.map((v) => v.from));
    expect(found).toEqual(
      expect.arrayContaining([
        "layer-ledger: app/domain/points/upward.server.ts → app/domain/flows/purchase.server.ts",
        "programs-do-not-import-each-other: app/domain/referrals/sideways.server.ts → app/domain/tiers/tiers.server.ts",
        "domain-not-to-outer: app/domain/members/to-web.server.ts → app/routes/orders.tsx",
        "auth-not-to-domain: app/auth/guards.server.ts → app/domain/tiers/tiers.server.ts",
      ]),
    );
    expect(found.some((v) => v.startsWith("no-circular: app/lib/p"))).toBe(true);
    // The files that keep the rule are never the source of a violation.
    for (const ok of ["app/domain/flows/purchase.server.ts", "app/api/orders.server.ts", "app/routes/orders.tsx", "app/domain/tiers/tiers.server.ts", "app/domain/points/ledger.server.ts"]) {
      expect(from.has(ok), ok).toBe(false);
    }
  });
});
