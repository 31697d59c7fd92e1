import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { withTenant } from "~/db.server";
import { createExperiment } from "~/domain/experiments/assignment.server";
import { createMerchant, insertMembers } from "../../support/admin";
import { ownerUrl, testDb } from "../../support/db";

/** `npm run cli -- import assignments`: any number of arms, per-line errors, exit code 2 on errors, idempotent re-import. */

const run = promisify(execFile);

function cli(args: string[]) {
  return run(process.execPath, ["--import", "tsx", "app/bin/cli.ts", "import", "assignments", ...args], { env: { ...process.env, DATABASE_URL: ownerUrl }, timeout: 120_000 }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

describe("import assignments (CLI)", () => {
  it("imports three arms by external id and e-mail, reports bad lines, and changes nothing the second time", async () => {
    const m = await createMerchant();
    const ids = await insertMembers(m.id, [
      { email: "a@example.com", external_id: "A" },
      { email: "b@example.com", external_id: "B" },
      { email: "c@example.com" },
      { email: "d@example.com" },
    ]);
    const e = await withTenant(testDb(), m.id, (trx) => createExperiment(trx, m.id, { kind: "custom", name: "Email test", assignment: "external", arms: [{ arm: "holdout", control: true }, { arm: "x", control: false }] }));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "arms-"));
    const file = path.join(dir, "arms.csv");
    fs.writeFileSync(file, `customer_id,email,arm\nA,,Mens E-Mail\n,c@example.com,Womens E-Mail\n${ids[3]},,holdout\nZZZ,,holdout\nB,,bad/arm\n`);
    try {
      const first = await cli(["--merchant", m.slug, "--campaign", e.id, "--file", file, "--control", "holdout"]);
      expect(first.code).toBe(2);
      expect(first.stdout).toContain("line 5: no member with this customer id or e-mail");
      expect(first.stdout).toMatch(/line 6: arm "bad\/arm"/);
      expect(first.stdout).toContain("5 lines: 3 assigned, 0 already assigned, 2 errors");
      const rows = await withTenant(testDb(), m.id, (trx) => trx.selectFrom("experiment_assignments").select(["member_id", "arm", "source"]).where("experiment_id", "=", e.id).orderBy("arm").execute());
      expect(rows.map((r) => [r.member_id, r.arm, r.source]).sort((x, y) => x[0]!.localeCompare(y[0]!))).toEqual(
        [
        [ids[3], "holdout", "external"],
        [ids[0], "Mens E-Mail", "external"],
        [ids[2], "Womens E-Mail", "external"],
        ].sort((x, y) => x[0]!.localeCompare(y[0]!)),
      );
      const again = await cli(["--merchant", m.slug, "--campaign", e.id, "--file", file, "--control", "holdout"]);
      expect(again.stdout).toContain("5 lines: 0 assigned, 3 already assigned, 2 errors");
      const wrongControl = await cli(["--merchant", m.slug, "--campaign", e.id, "--file", file]);
      expect(wrongControl.code).toBe(1);
      expect(wrongControl.stderr).toMatch(/control arm of this experiment is "holdout"/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
