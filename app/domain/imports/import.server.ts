import fs from "node:fs";
import { once } from "node:events";
import path from "node:path";
import { pipeline, Transform } from "node:stream";
import { parse, type CsvError, type Options as CsvOptions } from "csv-parse";
import { sql } from "kysely";
import { now } from "~/lib/clock.server";
import { db, withTenant, type DB, type Trx } from "~/db.server";
import { recordAudit, type Actor } from "~/domain/audit/audit.server";
import { earnRecordedOrders } from "~/domain/flows/historical-earning.server";
import { env } from "~/lib/env.server";
import { DomainError } from "~/lib/errors";
import { newId, newIds } from "~/lib/ids";
import type { ImportRow, Order } from "~db/schema";
import { resolveHeader, type ColumnMap } from "./columns";
import {
  ERROR_CSV_HEADER,
  errorCsvLine,
  isBlankRecord,
  LineIndex,
  OrderIdTracker,
  RowValidator,
  startLine,
  type ImportRowError,
  type RowContext,
  type ValidRow,
} from "./csv";
import { planMembers } from "./members-plan";
import { enrollImportedMembers } from "~/domain/flows/enrolment.server";

/**
 * CSV import of historical orders (and the members they belong to). One function, runOrderImport, serves the CLI
 * and the `import-orders` job. The file is streamed through csv-parse with backpressure; rows are validated in
 * memory and written in batches, each batch in its own tenant transaction: members found or created with one
 * SELECT and one INSERT … ON CONFLICT, orders with one unnest() INSERT … ON CONFLICT DO NOTHING (so a re-import
 * inserts nothing and counts duplicates), points earned for the newly inserted orders when asked, and the
 * `imports` row's progress — so the counts on screen always match what is committed.
 */

export const IMPORT_ORDERS_TASK = "import-orders";
export const IMPORT_MAX_ATTEMPTS = 3;
export const MAX_UPLOAD_BYTES = 200 * 1024 * 1024;
export const DEFAULT_BATCH_SIZE = 5000;
/** Errors kept in the imports row (the full list goes to the error file). */
export const STORED_ERRORS = 1000;
/** A record longer than this is reported as an error (usually an unclosed quote swallowing lines). */
export const MAX_RECORD_BYTES = 64 * 1024;

export function importsDir(merchantId: string): string {
  return path.resolve(env().DATA_DIR, "imports", merchantId);
}

/** Where an uploaded file is kept: `${DATA_DIR}/imports/<merchantId>/<importId>.csv`. */
export function uploadPath(merchantId: string, importId: string): string {
  return path.join(importsDir(merchantId), `${importId}.csv`);
}

export function errorsPathFor(filePath: string): string {
  return `${filePath}.errors.csv`;
}

// ---- the imports table -------------------------------------------------------------------------------------

export async function createImport(
  trx: Trx,
  merchantId: string,
  input: { id?: string; filename: string; awardPoints: boolean; totalBytes: number; createdBy: string | null },
): Promise<string> {
  const id = input.id ?? newId("import");
  await trx
    .insertInto("imports")
    .values({
      merchant_id: merchantId,
      id,
      kind: "orders",
      filename: input.filename.slice(0, 255),
      award_points: input.awardPoints,
      total_bytes: input.totalBytes,
      created_by: input.createdBy,
    })
    .execute();
  return id;
}

/** Queues the job in the caller's transaction: the job exists exactly when the imports row does. */
export async function enqueueImportJob(trx: Trx, merchantId: string, importId: string): Promise<void> {
  await sql`
    select graphile_worker.add_job(
      ${IMPORT_ORDERS_TASK},
      json_build_object('merchantId', ${merchantId}::text, 'importId', ${importId}::text),
      max_attempts => ${IMPORT_MAX_ATTEMPTS}::int,
      job_key => ${`import-orders:${importId}`}::text
    )`.execute(trx);
}

export async function getImport(trx: Trx, merchantId: string, importId: string): Promise<ImportRow | undefined> {
  return trx.selectFrom("imports").selectAll().where("merchant_id", "=", merchantId).where("id", "=", importId).executeTakeFirst();
}

export async function listImports(trx: Trx, merchantId: string, limit = 50) {
  return trx
    .selectFrom("imports")
    .select(["id", "filename", "status", "award_points", "total_bytes", "processed_bytes", "rows_ok", "rows_duplicate", "rows_failed", "members_created", "created_at", "finished_at"])
    .where("merchant_id", "=", merchantId)
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .limit(limit)
    .execute();
}

// ---- reading a file ---------------------------------------------------------------------------------------

export class ImportFileError extends DomainError {
  constructor(message: string) {
    super("invalid_file", message, { field: "file" });
  }
}

interface Batch {
  rows: ValidRow[];
  errors: ImportRowError[];
  /** Lines that failed before reaching the database (validation, unreadable records). */
  failedLines: number;
  /** Bytes of the file consumed up to the batch's last record. */
  bytes: number;
  columns: ColumnMap;
}

interface ScanOptions {
  filePath: string;
  ctx: RowContext;
  batchSize: number;
  /** Called with each batch; the next batch is collected while it runs, and handed over only when it resolved. */
  onBatch: (batch: Batch) => Promise<void>;
}

function skipReason(err: CsvError, fieldCount: number): string {
  switch (err.code) {
    case "CSV_RECORD_INCONSISTENT_FIELDS_LENGTH": {
      const got = Array.isArray(err.record) ? err.record.length : "a different number of";
      return `the row has ${got} fields, the header has ${fieldCount}`;
    }
    case "CSV_MAX_RECORD_SIZE":
      return `the row is longer than ${MAX_RECORD_BYTES.toLocaleString("en-US")} bytes (an unclosed quote?); the lines it spans were not read`;
    case "CSV_QUOTE_NOT_CLOSED":
      return "a quoted field is never closed; the rest of the file could not be read";
    default:
      return `unreadable CSV: ${err.message}`;
  }
}

/**
 * Streams the file: header → column map, then every record validated and grouped in batches. Memory: the batch
 * being collected, the batch being written, and the OrderIdTracker (one small entry per row).
 */
async function scanFile(opts: ScanOptions): Promise<{ columns: ColumnMap; ignored: string[]; lines: number }> {
  const lines = new LineIndex();
  const source = fs.createReadStream(opts.filePath, { highWaterMark: 256 * 1024 });
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      lines.feed(chunk);
      cb(null, chunk);
    },
  });
  let headerLength = 0;
  const skipped: ImportRowError[] = [];
  const csvOptions: CsvOptions = {
    bom: true,
    relax_quotes: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    max_record_size: MAX_RECORD_BYTES,
    // Line numbers are worked out here, in parse order (the consumer runs behind the parser).
    on_record: (record: string[], info) => {
      if (!headerLength) headerLength = record.length;
      return { fields: record, line: startLine(lines.lineEndingAt(info.bytes), record), bytes: info.bytes } as never;
    },
    on_skip: (err) => {
      if (!err) return undefined;
      const e = err as CsvError & { bytes?: number };
      skipped.push({ line: lines.lineEndingAt(e.bytes ?? 0), column: null, reason: skipReason(e, headerLength) });
      return undefined;
    },
  };
  const parser = parse(csvOptions);
  pipeline(source, counter, parser, () => {});

  let columns: ColumnMap | undefined;
  let ignored: string[] = [];
  let validator: RowValidator | undefined;
  const ids = new OrderIdTracker();
  let batch: Batch = { rows: [], errors: [], failedLines: 0, bytes: 0, columns: {} };
  let inflight: Promise<void> = Promise.resolve();
  let lastLine = 0;
  const takeSkipped = (beforeLine: number) => {
    while (skipped.length && skipped[0]!.line < beforeLine) {
      batch.errors.push(skipped.shift()!);
      batch.failedLines++;
    }
  };
  const submit = async () => {
    await inflight;
    const full = batch;
    batch = { rows: [], errors: [], failedLines: 0, bytes: full.bytes, columns: full.columns };
    inflight = opts.onBatch(full);
    // Observed at the next submit or at the end; this only keeps Node from calling it unhandled meanwhile.
    inflight.catch(() => {});
  };

  try {
    let sinceYield = 0;
    for await (const rec of parser as AsyncIterable<{ fields: string[]; line: number; bytes: number }>) {
      // Buffered records resolve as microtasks, which starve I/O: let the batch in flight talk to the database.
      if (++sinceYield === 256) {
        sinceYield = 0;
        await new Promise((resolve) => setImmediate(resolve));
      }
      lastLine = rec.line;
      if (!columns) {
        const header = resolveHeader(rec.fields);
        if (!header.ok) throw new ImportFileError(header.message);
        columns = header.columns;
        batch.columns = columns;
        ignored = header.ignored;
        validator = new RowValidator(columns, opts.ctx);
        continue;
      }
      takeSkipped(rec.line);
      batch.bytes = rec.bytes;
      if (isBlankRecord(rec.fields)) continue;
      const result = validator!.validate(rec.fields);
      if (!result.ok) {
        for (const e of result.errors) batch.errors.push({ line: rec.line, ...e });
        batch.failedLines++;
      } else {
        const row = result.row;
        row.line = rec.line;
        if (row.orderId === null) {
          row.orderId = ids.derive(row);
          batch.rows.push(row as ValidRow);
        } else {
          const first = ids.claim(row.orderId, rec.line);
          if (first === undefined) batch.rows.push(row as ValidRow);
          else {
            batch.errors.push({ line: rec.line, column: columns.orderId!.header, reason: `order id ${row.orderId} already appears on line ${first}` });
            batch.failedLines++;
          }
        }
      }
      if (batch.rows.length >= opts.batchSize || batch.errors.length >= opts.batchSize) await submit();
    }
    if (!columns) {
      const unreadable = skipped[0]?.reason;
      throw new ImportFileError(unreadable ? `The header row could not be read: ${unreadable}` : "The file is empty: the first line must be a header row naming the columns");
    }
    batch.bytes = parser.info.bytes;
    // Unreadable records after the last good one (a file of nothing but, at worst), a batch at a time.
    do {
      for (const e of skipped.splice(0, opts.batchSize)) {
        batch.errors.push(e);
        batch.failedLines++;
      }
      await submit();
    } while (skipped.length);
    await inflight;
  } catch (err) {
    source.destroy();
    parser.destroy();
    await inflight.catch(() => {});
    throw err;
  }
  return { columns, ignored, lines: lastLine };
}

// ---- writing a batch -------------------------------------------------------------------------------------

interface BatchResult {
  inserted: number;
  duplicates: number;
  membersCreated: number;
  points: number;
  errors: ImportRowError[];
}

/**
 * Members of the batch: one SELECT, then the plan's INSERT … ON CONFLICT DO NOTHING and links. A concurrent writer
 * (the API creating the same member) makes an insert or link come back short; the plan is then made again from a
 * fresh SELECT, which sees the winner's row.
 */
async function resolveMembers(trx: Trx, merchantId: string, batch: Batch) {
  const externalIds = [...new Set(batch.rows.flatMap((r) => (r.externalId === null ? [] : [r.externalId])))];
  const emails = [...new Set(batch.rows.flatMap((r) => (r.email === null ? [] : [r.email])))];
  const columns = { customer: batch.columns.customer?.header ?? null, email: batch.columns.email?.header ?? null };
  let created = 0;
  for (let attempt = 0; attempt < 3; attempt++) {
    const existing = await sql<{ id: string; email: string; external_id: string | null }>`
      select id, email::text as email, external_id from members
      where merchant_id = ${merchantId}
        and (external_id = any(${externalIds}::text[]) or email = any(${emails}::citext[]))`.execute(trx);
    const plan = planMembers(batch.rows, existing.rows, () => newId("member"), columns);
    if (plan.creates.length) {
      // Past customers join by the `import` row of ENROLMENT_POLICY: no bonus, e-mail, referral or holdout draw.
      const inserted = await enrollImportedMembers(trx, merchantId, plan.creates);
      created += inserted.length;
      if (inserted.length < plan.creates.length) continue;
    }
    if (plan.links.length) {
      const l = plan.links;
      const linked = await sql<{ id: string }>`
        update members m set external_id = v.external_id, updated_at = now()
        from unnest(${l.map((x) => x.id)}::text[], ${l.map((x) => x.externalId)}::text[]) as v(id, external_id)
        where m.merchant_id = ${merchantId} and m.id = v.id and m.external_id is null
        returning m.id`.execute(trx);
      if (linked.rows.length < l.length) continue;
    }
    return { memberIds: plan.memberIds, errors: plan.errors, created };
  }
  throw new Error("members of this batch kept changing under concurrent writes; run the import again");
}

async function writeRows(trx: Trx, merchantId: string, batch: Batch, awardAs: Actor | null): Promise<BatchResult> {
  if (!batch.rows.length) return { inserted: 0, duplicates: 0, membersCreated: 0, points: 0, errors: [] };
  const members = await resolveMembers(trx, merchantId, batch);
  // The batch's rows check members ~9 times per order (foreign keys of orders, journals, lots, balances, member_stats),
  // each with the plan its connection cached at its first check. Cached while members held under ~200 rows (a young
  // database), that plan walks members_created_idx (merchant_id, created_at, id): all of the merchant's members per
  // check, rated as cheap as the primary key at that size. Re-planned here with the batch's members in the table
  // (the import-points bench's rows after its one-by-one phase: 0.2–0.6 ms → 0.012 ms a check; README, "Importing orders").
  await sql`discard plans`.execute(trx);
  const rows = batch.rows.filter((_, i) => members.memberIds[i] !== null);
  const memberIds = members.memberIds.filter((m): m is string => m !== null);
  let inserted: Order[] = [];
  let insertedCount = 0;
  if (rows.length) {
    // Every row of a file has the merchant's currency (validated), so it is one parameter. The inserted orders come
    // back only when points are earned on them: a plain import needs their count, not every row parsed back.
    const result = await sql<Order>`
      insert into orders (merchant_id, id, member_id, source, external_order_id, amount_minor, currency, occurred_at)
      select ${merchantId}, t.id, t.member_id, 'import', t.external_order_id, t.amount_minor, ${rows[0]!.currency}, t.occurred_at
      from unnest(
        ${newIds("order", rows.length)}::text[],
        ${memberIds}::text[],
        ${rows.map((r) => r.orderId)}::text[],
        ${rows.map((r) => r.amountMinor)}::int8[],
        ${rows.map((r) => new Date(r.occurredAtMs).toISOString())}::timestamptz[]
      ) as t(id, member_id, external_order_id, amount_minor, occurred_at)
      on conflict (merchant_id, source, external_order_id) do nothing
      ${awardAs ? sql`returning *` : sql``}`.execute(trx);
    inserted = result.rows;
    insertedCount = awardAs ? inserted.length : Number(result.numAffectedRows ?? 0);
  }
  let points = 0;
  if (awardAs && inserted.length) {
    // Oldest first, so first-order bonuses and caps see the orders in the order they happened; set-based, with the
    // same ledger as earning them one by one (earnRecordedOrders says which members still go one by one).
    inserted.sort((a, b) => a.occurred_at.getTime() - b.occurred_at.getTime() || (a.id < b.id ? -1 : 1));
    points = (await earnRecordedOrders(trx, merchantId, inserted, awardAs)).points;
  }
  return { inserted: insertedCount, duplicates: rows.length - insertedCount, membersCreated: members.created, points, errors: members.errors };
}

// ---- running an import ----------------------------------------------------------------------------------

export interface ImportProgress {
  processedBytes: number;
  totalBytes: number;
  rowsOk: number;
  rowsDuplicate: number;
  rowsFailed: number;
  membersCreated: number;
  pointsAwarded: number;
  elapsedMs: number;
}

export interface ImportSummary extends ImportProgress {
  importId: string;
  status: "done" | "failed";
  /** The first STORED_ERRORS errors, by line. */
  errors: ImportRowError[];
  errorCount: number;
  /** Where the full error report was written (null when there were no errors). */
  errorsPath: string | null;
  ignoredColumns: string[];
  failure: string | null;
}

export interface RunImportOptions {
  merchantId: string;
  importId: string;
  filePath: string;
  awardPoints: boolean;
  actor: Actor;
  onProgress?: (p: ImportProgress) => void;
  batchSize?: number;
  database?: DB;
}

async function merchantContext(database: DB, merchantId: string): Promise<RowContext> {
  const m = await database.selectFrom("merchants").select(["currency", "timezone"]).where("id", "=", merchantId).executeTakeFirst();
  if (!m) throw new DomainError("not_found", "Merchant not found");
  return { currency: m.currency.trim(), timeZone: m.timezone, nowMs: now().getTime() };
}

/** Streams the error report to disk as errors arrive, so a file where every row fails needs no memory for it. */
class ErrorSink {
  readonly first: ImportRowError[] = [];
  count = 0;
  private out: fs.WriteStream | undefined;
  private failed: Error | undefined;

  constructor(readonly filePath: string) {}

  async add(errors: ImportRowError[]): Promise<void> {
    if (!errors.length) return;
    errors.sort((a, b) => a.line - b.line);
    for (const e of errors) if (this.first.length < STORED_ERRORS) this.first.push(e);
    this.count += errors.length;
    if (!this.out) {
      this.out = fs.createWriteStream(this.filePath);
      this.out.on("error", (err) => (this.failed = err));
      this.out.write(ERROR_CSV_HEADER);
    }
    if (this.failed) throw this.failed;
    if (!this.out.write(errors.map(errorCsvLine).join(""))) await once(this.out, "drain");
  }

  async close(): Promise<string | null> {
    if (!this.out) {
      // A previous run's report would be stale.
      await fs.promises.rm(this.filePath, { force: true });
      return null;
    }
    this.out.end();
    await once(this.out, "finish").catch(() => {});
    if (this.failed) throw this.failed;
    return this.filePath;
  }
}

/**
 * Imports one file into the `imports` row `importId` (created beforehand with createImport). Safe to run again on
 * the same file: orders already there are counted as duplicates, members are matched, points are earned once.
 * Throws ImportFileError for a file that cannot be imported at all (missing header…), after marking the row failed.
 */
export async function runOrderImport(opts: RunImportOptions): Promise<ImportSummary> {
  const database = opts.database ?? db();
  const { merchantId, importId } = opts;
  const started = Date.now();
  const totalBytes = (await fs.promises.stat(opts.filePath)).size;
  const ctx = await merchantContext(database, merchantId);
  const sink = new ErrorSink(errorsPathFor(opts.filePath));
  const p: ImportProgress = { processedBytes: 0, totalBytes, rowsOk: 0, rowsDuplicate: 0, rowsFailed: 0, membersCreated: 0, pointsAwarded: 0, elapsedMs: 0 };

  await withTenant(database, merchantId, (trx) =>
    trx
      .updateTable("imports")
      .set({
        status: "running",
        started_at: new Date(started),
        finished_at: null,
        total_bytes: totalBytes,
        processed_bytes: 0,
        rows_ok: 0,
        rows_duplicate: 0,
        rows_failed: 0,
        members_created: 0,
        errors: "[]",
        failure: null,
      })
      .where("merchant_id", "=", merchantId)
      .where("id", "=", importId)
      .execute(),
  );

  let storedErrors = 0;
  const writeBatch = async (batch: Batch) => {
    await withTenant(database, merchantId, async (trx) => {
      const w = await writeRows(trx, merchantId, batch, opts.awardPoints ? opts.actor : null);
      const errors = [...batch.errors, ...w.errors].sort((a, b) => a.line - b.line);
      // The counters advance only with the transaction, so a failed batch leaves them as committed.
      const next: ImportProgress = {
        ...p,
        processedBytes: batch.bytes,
        rowsOk: p.rowsOk + w.inserted,
        rowsDuplicate: p.rowsDuplicate + w.duplicates,
        rowsFailed: p.rowsFailed + batch.failedLines + w.errors.length,
        membersCreated: p.membersCreated + w.membersCreated,
        pointsAwarded: p.pointsAwarded + w.points,
      };
      const toStore = errors.slice(0, Math.max(0, STORED_ERRORS - storedErrors));
      await trx
        .updateTable("imports")
        .set({
          processed_bytes: next.processedBytes,
          rows_ok: next.rowsOk,
          rows_duplicate: next.rowsDuplicate,
          rows_failed: next.rowsFailed,
          members_created: next.membersCreated,
          ...(toStore.length ? { errors: sql<string>`errors || ${JSON.stringify(toStore)}::jsonb` } : {}),
        })
        .where("merchant_id", "=", merchantId)
        .where("id", "=", importId)
        .execute();
      Object.assign(p, next);
      storedErrors += toStore.length;
      await sink.add(errors);
    });
    p.elapsedMs = Date.now() - started;
    opts.onProgress?.({ ...p });
  };

  try {
    const scan = await scanFile({ filePath: opts.filePath, ctx, batchSize: opts.batchSize ?? DEFAULT_BATCH_SIZE, onBatch: writeBatch });
    const errorsPath = await sink.close();
    p.elapsedMs = Date.now() - started;
    await withTenant(database, merchantId, async (trx) => {
      await trx
        .updateTable("imports")
        .set({ status: "done", finished_at: new Date(), processed_bytes: totalBytes })
        .where("merchant_id", "=", merchantId)
        .where("id", "=", importId)
        .execute();
      await recordAudit(trx, merchantId, opts.actor, "orders.imported", { type: "import", id: importId }, {
        after: { rowsOk: p.rowsOk, rowsDuplicate: p.rowsDuplicate, rowsFailed: p.rowsFailed, membersCreated: p.membersCreated, awardPoints: opts.awardPoints },
      });
    });
    return { importId, status: "done", ...p, processedBytes: totalBytes, errors: sink.first, errorCount: sink.count, errorsPath, ignoredColumns: scan.ignored, failure: null };
  } catch (err) {
    await sink.close().catch(() => null);
    const failure = err instanceof DomainError ? err.message : `The import stopped: ${(err as Error).message}`;
    await withTenant(database, merchantId, (trx) =>
      trx
        .updateTable("imports")
        .set({ status: "failed", finished_at: new Date(), failure: failure.slice(0, 2000) })
        .where("merchant_id", "=", merchantId)
        .where("id", "=", importId)
        .execute(),
    ).catch(() => {});
    throw err;
  }
}

/**
 * `--dry-run`: reads and checks every line without touching the database. What only the database can tell
 * (duplicates of earlier imports, customer ids of unknown members) is not checked.
 */
export async function checkOrderFile(opts: { merchantId: string; filePath: string; onProgress?: (p: ImportProgress) => void; database?: DB }) {
  const database = opts.database ?? db();
  const started = Date.now();
  const totalBytes = (await fs.promises.stat(opts.filePath)).size;
  const ctx = await merchantContext(database, opts.merchantId);
  const sink = new ErrorSink(errorsPathFor(opts.filePath));
  const p: ImportProgress = { processedBytes: 0, totalBytes, rowsOk: 0, rowsDuplicate: 0, rowsFailed: 0, membersCreated: 0, pointsAwarded: 0, elapsedMs: 0 };
  try {
    const scan = await scanFile({
      filePath: opts.filePath,
      ctx,
      batchSize: DEFAULT_BATCH_SIZE,
      onBatch: async (batch) => {
        p.rowsOk += batch.rows.length;
        p.rowsFailed += batch.failedLines;
        p.processedBytes = batch.bytes;
        p.elapsedMs = Date.now() - started;
        await sink.add(batch.errors);
        opts.onProgress?.({ ...p });
      },
    });
    const errorsPath = await sink.close();
    return { ...p, errors: sink.first, errorCount: sink.count, errorsPath, ignoredColumns: scan.ignored };
  } catch (err) {
    await sink.close().catch(() => null);
    throw err;
  }
}

/** After an admin upload: the imports row, its job and the audit entry, in one transaction (file removed if it fails). */
export async function startUploadedImport(
  database: DB,
  merchantId: string,
  importId: string,
  upload: { filePath: string; filename: string; bytes: number; fields: Record<string, string> },
  actor: Actor,
): Promise<void> {
  const awardPoints = upload.fields.awardPoints === "on" || upload.fields.awardPoints === "true";
  try {
    await withTenant(database, merchantId, async (trx) => {
      await createImport(trx, merchantId, { id: importId, filename: upload.filename, awardPoints, totalBytes: upload.bytes, createdBy: actor.id });
      await enqueueImportJob(trx, merchantId, importId);
      await recordAudit(trx, merchantId, actor, "import.uploaded", { type: "import", id: importId }, { after: { filename: upload.filename, bytes: upload.bytes, awardPoints } });
    });
  } catch (err) {
    await fs.promises.rm(upload.filePath, { force: true });
    throw err;
  }
}
