import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

/**
 * .ci/run's lanes (.ci/steps.sh): steps side by side must still fail the run, name the step that failed, stop their
 * own lane there, print each lane's output whole, and keep the step times. Run on fake steps in a throwaway script.
 */

const steps = path.resolve(__dirname, "../../.ci/steps.sh");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "perennial-ci-lanes-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function ci(body: string): { code: number | null; out: string } {
  const script = path.join(dir, `run-${Math.random().toString(36).slice(2)}.sh`);
  fs.writeFileSync(script, `set -euo pipefail\nsource ${JSON.stringify(steps)}\n${body}\n`);
  const r = spawnSync("bash", [script], { encoding: "utf8", timeout: 30_000 });
  return { code: r.status, out: r.stdout + r.stderr };
}

describe(".ci/run lanes", () => {
  it("a failing step fails the run, is named, stops its lane, and the other lanes still finish", () => {
    const { code, out } = ci(`
step "first"
end_step
lane a "A1" "echo a-one; sleep 1" "A2" "echo a-two"
lane b "B1" "echo b-one; false; echo b-unreached" "B2" "echo b-two"
join_lanes
echo after-lanes`);
    expect(code).not.toBe(0);
    expect(out).toMatch(/\[b\] B1 +<- FAILED/);
    expect(out).toMatch(/failed in a lane: \[b\] B1/);
    expect(out).not.toContain("b-unreached");
    expect(out).not.toContain("b-two");
    expect(out).not.toContain("after-lanes");
    // Lane a ran to its end, its output in one piece.
    expect(out).toMatch(/=== \[a\] A1 ===\na-one\n\n=== \[a\] A2 ===\na-two\n/);
    expect(out).toMatch(/\d+m\d\ds {2}\[a\] A2\n/);
    expect(out).not.toMatch(/\[a\] A\d +<- FAILED/);
  });

  it("lanes that all pass let the run go on, and every step has its time and the total its wall time", () => {
    const { code, out } = ci(`
files=(x y)
lane a "A1" 'echo "\${files[@]}"'
lane b "B1" "sleep 1"
join_lanes
step "last"
echo after-lanes
end_step`);
    expect(code).toBe(0);
    expect(out).toContain("=== [a] A1 ===\nx y\n");
    expect(out).toContain("after-lanes");
    for (const s of ["[a] A1", "[b] B1", "last", "total"]) expect(out).toMatch(new RegExp(`\\d+m\\d\\ds {2}${s.replace(/[[\]]/g, "\\$&")}`));
    expect(out).not.toContain("FAILED");
  });

  it("a failing step outside the lanes is still named", () => {
    const { code, out } = ci(`
step "lint"
false`);
    expect(code).toBe(1);
    expect(out).toMatch(/lint +<- FAILED/);
    expect(out).toMatch(/total \(exit 1\)/);
  });
});
