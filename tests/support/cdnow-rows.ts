import { CDNOW_MASTER, CDNOW_SUMMARY, readFixture } from "../fixtures";
import { buildSummary, compress, type CompressedRow } from "../../app/domain/cltv/summary";

/** The published CDNOW sample summary (x, t_x, T in weeks), one entry per customer. */
export function cdnowSampleCustomers(): { x: number; tx: number; T: number }[] {
  return readFixture(CDNOW_SUMMARY)
    .trim()
    .split("\n")
    .slice(1)
    .map((l) => {
      const [, x = NaN, tx = NaN, T = NaN] = l.split(",").map(Number);
      return { x, tx, T };
    });
}

export function cdnowSampleRows(): CompressedRow[] {
  return compress(cdnowSampleCustomers());
}

/** The full CDNOW master's transactions (23,570 customers), one per line of the fixture. */
export function cdnowMasterTransactions(): { customerId: string; date: string; amount: number }[] {
  return readFixture(CDNOW_MASTER)
    .trim()
    .split("\n")
    .slice(1)
    .map((line) => {
      const [id = "", ymd = "", , dollars = "0"] = line.trim().split(/\s+/);
      return { customerId: id, date: `${ymd.slice(0, 4)}-${ymd.slice(4, 6)}-${ymd.slice(6, 8)}`, amount: Number(dollars) };
    });
}

/** The full CDNOW master, calibration through 1997-09-30, weeks, compressed. */
export function cdnowMasterRows(): CompressedRow[] {
  return compress(buildSummary(cdnowMasterTransactions(), { calibrationEnd: "1997-09-30" }));
}
