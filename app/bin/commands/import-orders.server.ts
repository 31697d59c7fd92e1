import fs from "node:fs";
import path from "node:path";
import { withTenant, type DB } from "~/db.server";
import { DomainError } from "~/lib/errors";
import type { Merchant } from "~db/schema";
import type { ImportRowError } from "~/domain/imports/csv";
import { checkOrderFile, createImport, runOrderImport, type ImportProgress } from "~/domain/imports/import.server";

/** `npm run cli -- import orders`: the terminal side of runOrderImport (progress line, summary, error report). */

const PRINTED_ERRORS = 50;
const fmt = (n: number) => n.toLocaleString("en-US");

function rowsPerSecond(p: ImportProgress): number {
  return p.elapsedMs > 0 ? Math.round(((p.rowsOk + p.rowsDuplicate + p.rowsFailed) * 1000) / p.elapsedMs) : 0;
}

/** A live line on a terminal; on a pipe or a log file, a plain line every few seconds instead. */
export function progressPrinter(label: string, stream: NodeJS.WriteStream = process.stderr) {
  let lastDraw = 0;
  const tty = Boolean(stream.isTTY);
  const line = (p: ImportProgress) => {
    const pct = p.totalBytes ? ((p.processedBytes / p.totalBytes) * 100).toFixed(1) : "100.0";
    const rows = p.rowsOk + p.rowsDuplicate + p.rowsFailed;
    return `${label}: ${pct.padStart(5)}%  ${fmt(rows)} rows  ${fmt(rowsPerSecond(p))} rows/s  (${fmt(p.rowsFailed)} failed)`;
  };
  return {
    update(p: ImportProgress) {
      const t = Date.now();
      if (tty && t - lastDraw >= 100) {
        stream.write(`\r\x1b[2K${line(p)}`);
        lastDraw = t;
      } else if (!tty && t - lastDraw >= 5000) {
        stream.write(`${line(p)}\n`);
        lastDraw = t;
      }
    },
    done() {
      if (tty && lastDraw) stream.write("\r\x1b[2K");
    },
  };
}

function printErrors(errors: ImportRowError[], total: number, errorsPath: string | null) {
  if (!total) return;
  console.log(`\nerrors (${total > PRINTED_ERRORS ? `first ${PRINTED_ERRORS} of ${fmt(total)}` : fmt(total)}):`);
  for (const e of errors.slice(0, PRINTED_ERRORS)) console.log(`  line ${e.line}${e.column ? `, ${e.column}` : ""}: ${e.reason}`);
  if (errorsPath) console.log(`full error report: ${errorsPath}`);
}

export async function importOrdersFromCli(
  database: DB,
  merchant: Merchant,
  o: { file: string; awardPoints?: boolean; dryRun?: boolean; batchSize?: string },
): Promise<void> {
  const filePath = path.resolve(o.file);
  const stat = await fs.promises.stat(filePath).catch(() => null);
  if (!stat?.isFile()) throw new DomainError("not_found", `No such file: ${filePath}`, { field: "file" });
  const batchSize = o.batchSize === undefined ? undefined : Number(o.batchSize);
  if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 50_000)) {
    throw new DomainError("validation_failed", "--batch-size must be a whole number from 1 to 50000", { field: "batch-size" });
  }
  const label = path.basename(filePath);
  const progress = progressPrinter(o.dryRun ? `checking ${label}` : `importing ${label}`);

  if (o.dryRun) {
    const r = await checkOrderFile({ merchantId: merchant.id, filePath, onProgress: progress.update, database }).finally(progress.done);
    console.log(`checked ${label} in ${(r.elapsedMs / 1000).toFixed(1)} s (dry run: nothing was written)`);
    console.log(`  valid rows:  ${fmt(r.rowsOk)}`);
    console.log(`  failed rows: ${fmt(r.rowsFailed)}`);
    if (r.ignoredColumns.length) console.log(`  ignored columns: ${r.ignoredColumns.join(", ")}`);
    printErrors(r.errors, r.errorCount, r.errorsPath);
    return;
  }

  const importId = await withTenant(database, merchant.id, (trx) =>
    createImport(trx, merchant.id, { filename: label, awardPoints: Boolean(o.awardPoints), totalBytes: stat.size, createdBy: null }),
  );
  const r = await runOrderImport({
    merchantId: merchant.id,
    importId,
    filePath,
    awardPoints: Boolean(o.awardPoints),
    actor: { type: "system", id: null },
    onProgress: progress.update,
    batchSize,
    database,
  }).finally(progress.done);
  console.log(`imported ${label} into ${merchant.slug} in ${(r.elapsedMs / 1000).toFixed(1)} s (${fmt(rowsPerSecond(r))} rows/s; import ${importId})`);
  console.log(`  ok:              ${fmt(r.rowsOk)}`);
  console.log(`  duplicates:      ${fmt(r.rowsDuplicate)}`);
  console.log(`  failed:          ${fmt(r.rowsFailed)}`);
  console.log(`  members created: ${fmt(r.membersCreated)}`);
  if (o.awardPoints) console.log(`  points awarded:  ${fmt(r.pointsAwarded)}`);
  if (r.ignoredColumns.length) console.log(`  ignored columns: ${r.ignoredColumns.join(", ")}`);
  printErrors(r.errors, r.errorCount, r.errorsPath);
}
