import path from "node:path";
import { describe, expect, it } from "vitest";
import { CDNOW_SAMPLE, readFixture } from "../../../tests/fixtures";
import { buildSummary, compress, dayNumber, roundTo, type Transaction } from "./summary";

function read(file: string): string {
  return readFixture(path.join(path.dirname(CDNOW_SAMPLE), file));
}

function sampleTransactions(): Transaction[] {
  return read("CDNOW_sample.txt")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => {
      const [, sampleId = "", ymd = "", , dollars = ""] = l.trim().split(/\s+/);
      return { customerId: String(Number(sampleId)), date: `${ymd.slice(0, 4)}-${ymd.slice(4, 6)}-${ymd.slice(6, 8)}`, amount: Number(dollars) };
    });
}

describe("CDNOW summary from transactions", () => {
  const tx = sampleTransactions();
  const summary = buildSummary(tx, { calibrationEnd: "1997-09-30", holdoutEnd: "1998-06-30" });

  it("reproduces cdnow_customers_summary_with_transactions.csv, all 2,357 rows", () => {
    expect(tx).toHaveLength(6919);
    const lines = read("cdnow_customers_summary_with_transactions.csv").trim().split("\n");
    expect(lines[0]!.trim()).toBe("ID,x,t_x,T,zbar");
    const expected = lines.slice(1).map((l) => l.trim().split(",").map(Number));
    expect(expected).toHaveLength(2357);
    expect(summary).toHaveLength(2357);
    const byId = new Map(summary.map((s) => [s.customerId, s]));
    const mismatches: string[] = [];
    for (const [id, x, tx_, T, zbar] of expected) {
      const s = byId.get(String(id));
      const got = s ? [s.x, s.tx, s.T, roundTo(s.zbar, 2)] : null;
      if (!got || got[0] !== x || got[1] !== tx_ || got[2] !== T || got[3] !== zbar) mismatches.push(`${id}: want ${[x, tx_, T, zbar]} got ${got}`);
    }
    expect(mismatches).toEqual([]);
  });

  it("counts 1,882 repeat purchase-days in the 39-week holdout", () => {
    expect(dayNumber("1998-06-30") - dayNumber("1997-09-30")).toBe(273); // 39 weeks
    expect(summary.reduce((s, c) => s + c.holdoutPurchases, 0)).toBe(1882);
  });

  it("compresses to unique (x, t_x, T) with weights that add up", () => {
    const rows = compress(summary);
    expect(rows.length).toBeLessThan(summary.length);
    expect(rows.reduce((s, r) => s + r.weight, 0)).toBe(2357);
    expect(new Set(rows.map((r) => `${r.x}|${r.tx}|${r.T}`)).size).toBe(rows.length);
  });

  it("aggregates same-day purchases and drops customers acquired after calibration", () => {
    const s = buildSummary(
      [
        { customerId: "a", date: "2020-01-01", amount: 5 },
        { customerId: "a", date: "2020-01-01", amount: 7 },
        { customerId: "a", date: "2020-01-08", amount: 10 },
        { customerId: "a", date: "2020-01-10", amount: 20 },
        { customerId: "a", date: "2020-02-01", amount: 3 },
        { customerId: "b", date: "2020-02-01", amount: 3 },
      ],
      { calibrationEnd: "2020-01-15", timeUnit: "day" },
    );
    expect(s).toEqual([{ customerId: "a", x: 2, tx: 9, T: 14, zbar: 15, spend: 42, holdoutPurchases: 1, holdoutSpend: 3 }]);
    expect(() => dayNumber("2020-02-30")).toThrow();
  });
});
