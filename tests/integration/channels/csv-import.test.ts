import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { runOnce } from "graphile-worker";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, withTenant, type DB } from "~/db.server";
import { checkOrderFile, createImport, enqueueImportJob, getImport, IMPORT_ORDERS_TASK, ImportFileError, runOrderImport, uploadPath, type ImportSummary } from "~/domain/imports/import.server";
import { receiveUpload } from "~/domain/imports/upload.server";
import { DEFAULT_EARNING_RULES as DEFAULT_RULES } from "~/domain/points/rules";
import { importOrdersTask } from "~/jobs/tasks/import-orders";
import { jobsLogger, prepareJobsSchema } from "~/jobs/worker.server";
import { resetEnvCache } from "~/lib/env.server";
import * as importsPage from "~/routes/admin.$merchant.imports._index";
import * as importPage from "~/routes/admin.$merchant.imports.$importId";
import * as errorsCsv from "~/routes/admin.$merchant.imports.$importId.errors[.csv]";
import { createMerchant, createStaff, getRequest, insertMembers, ORIGIN, thrownResponse } from "../../support/admin";
import { ownerUrl, testDb } from "../../support/db";
import { withHttpStatus } from "../../support/errors";

/**
 * CSV import of historical orders against real PostgreSQL: the file edge cases (BOM, quoted commas, CRLF, bad
 * dates, negative amounts, decimals, currencies, duplicated order ids, missing header), idempotent re-import,
 * members found or created once across batches, points earned once, and the admin upload through the job queue.
 */

const FIXTURES = path.resolve("tests/fixtures/csv");
const SYSTEM = { type: "system" as const, id: null };
let tmp: string;
let owner: DB;
const savedDataDir = process.env.DATA_DIR;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "perennial-import-"));
  process.env.DATA_DIR = path.join(tmp, "data");
  resetEnvCache();
  await prepareJobsSchema(ownerUrl);
  owner = createDb(ownerUrl, { role: null, max: 2 });
});
afterAll(async () => {
  if (savedDataDir === undefined) delete process.env.DATA_DIR;
  else process.env.DATA_DIR = savedDataDir;
  resetEnvCache();
  await owner.destroy();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A copy of a fixture (or of literal text) in the temp dir, so error reports land there. */
function csvFile(nameOrText: string, opts: { literal?: boolean } = {}): string {
  const file = path.join(tmp, `${Math.random().toString(36).slice(2)}.csv`);
  if (opts.literal) fs.writeFileSync(file, nameOrText);
  else fs.copyFileSync(path.join(FIXTURES, nameOrText), file);
  return file;
}

async function importFile(merchantId: string, filePath: string, opts: { awardPoints?: boolean; batchSize?: number } = {}): Promise<ImportSummary> {
  const importId = await withTenant(testDb(), merchantId, (trx) =>
    createImport(trx, merchantId, { filename: path.basename(filePath), awardPoints: Boolean(opts.awardPoints), totalBytes: fs.statSync(filePath).size, createdBy: null }),
  );
  return runOrderImport({ merchantId, importId, filePath, awardPoints: Boolean(opts.awardPoints), actor: SYSTEM, batchSize: opts.batchSize });
}

const tenant = <T,>(merchantId: string, fn: Parameters<typeof withTenant<T>>[2]) => withTenant(testDb(), merchantId, fn);

async function ordersOf(merchantId: string) {
  return tenant(merchantId, (trx) =>
    trx
      .selectFrom("orders")
      .innerJoin("members", (j) => j.onRef("members.id", "=", "orders.member_id").onRef("members.merchant_id", "=", "orders.merchant_id"))
      .select(["orders.external_order_id", "orders.amount_minor", "orders.currency", "orders.occurred_at", "orders.source", "members.email", "members.external_id"])
      .where("orders.merchant_id", "=", merchantId)
      .orderBy("orders.occurred_at")
      .orderBy("orders.external_order_id")
      .execute(),
  );
}

async function counts(merchantId: string) {
  return tenant(merchantId, async (trx) => ({
    orders: Number((await sql<{ n: string }>`select count(*) as n from orders where merchant_id = ${merchantId}`.execute(trx)).rows[0]!.n),
    members: Number((await sql<{ n: string }>`select count(*) as n from members where merchant_id = ${merchantId}`.execute(trx)).rows[0]!.n),
    journals: Number((await sql<{ n: string }>`select count(*) as n from ledger_journals where merchant_id = ${merchantId}`.execute(trx)).rows[0]!.n),
  }));
}

const errorLines = (s: ImportSummary) => s.errors.map((e) => `${e.line} ${e.column ?? "-"}: ${e.reason}`);

describe("a good file", () => {
  it("imports orders and creates their members, dates at local midnight in the merchant's zone", async () => {
    const m = await createMerchant({ currency: "EUR", timezone: "Europe/Berlin" });
    const s = await importFile(m.id, csvFile("good.csv"));
    expect(errorLines(s)).toEqual([]);
    expect(s).toMatchObject({ status: "done", rowsOk: 5, rowsDuplicate: 0, rowsFailed: 0, membersCreated: 3, errorsPath: null });
    const orders = await ordersOf(m.id);
    expect(orders.map((o) => [o.external_order_id, o.amount_minor, o.currency, o.source, o.email, o.external_id])).toEqual([
      ["1001", 4250, "EUR", "import", "maria@example.com", "CRM-1"],
      ["1002", 1999, "EUR", "import", "wei@example.com", "CRM-2"],
      ["1003", 700, "EUR", "import", "maria@example.com", "CRM-1"],
      ["1004", 12000, "EUR", "import", "ola@example.com", null],
      ["1005", 5, "EUR", "import", "wei@example.com", "CRM-2"],
    ]);
    expect(new Date(orders[0]!.occurred_at).toISOString()).toBe("2024-02-29T23:00:00.000Z");
    expect(new Date(orders[1]!.occurred_at).toISOString()).toBe("2024-03-01T13:30:00.000Z");
    const members = await tenant(m.id, (trx) => trx.selectFrom("members").select(["email", "name", "external_id"]).where("merchant_id", "=", m.id).orderBy("email").execute());
    expect(members).toEqual([
      { email: "maria@example.com", name: "Maria Garcia", external_id: "CRM-1" },
      { email: "ola@example.com", name: null, external_id: null },
      { email: "wei@example.com", name: "Chen, Wei", external_id: "CRM-2" },
    ]);
    const row = await tenant(m.id, (trx) => getImport(trx, m.id, s.importId));
    expect(row).toMatchObject({ status: "done", rows_ok: 5, rows_duplicate: 0, rows_failed: 0, members_created: 3, errors: [], failure: null });
    expect(row!.processed_bytes).toBe(row!.total_bytes);
    const audit = await tenant(m.id, (trx) => trx.selectFrom("audit_log").select(["action", "after"]).where("merchant_id", "=", m.id).where("target_id", "=", s.importId).execute());
    expect(audit.map((a) => a.action)).toEqual(["orders.imported"]);
  });

  it("reads a BOM, CRLF line ends and quoted commas, and numbers lines as a text editor does", async () => {
    const m = await createMerchant();
    const s = await importFile(m.id, csvFile("bom-crlf-quoted.csv"));
    expect(s).toMatchObject({ rowsOk: 3, rowsFailed: 1 });
    // The header's first cell is found despite the BOM; line 5 is after a quoted field that spans two lines.
    expect(errorLines(s)).toEqual(["6 Amount: amount -1.00 is negative"]);
    const orders = await ordersOf(m.id);
    expect(orders.map((o) => [o.external_order_id, o.amount_minor])).toEqual([
      ["A-1", 123456],
      ["A-2", 5000],
      ["A-3", 10],
    ]);
    const names = await tenant(m.id, (trx) => trx.selectFrom("members").select("name").where("merchant_id", "=", m.id).execute());
    // A line break inside a quoted name becomes a space.
    expect(names.map((n) => n.name).sort()).toEqual(["Doe, Jane", "O'Brien, \"Pat\"", "Smith, John Jr."].sort());
  });
});

describe("bad lines", () => {
  it("reports each bad line (line, column, reason) and imports the good ones", async () => {
    const m = await createMerchant({ currency: "USD" });
    const file = csvFile("bad-rows.csv");
    const s = await importFile(m.id, file);
    expect(errorLines(s)).toEqual([
      "3 date: date \"2024-02-30\" does not exist",
      "4 date: date \"03/01/2024\" is not a date like 2024-03-01 or a date and time like 2024-03-01T14:30:00Z",
      "5 date: date \"1969-12-31\" is before 1970",
      "6 date: date \"2999-01-01\" is in the future",
      "7 amount: amount -5.00 is negative",
      "8 amount: amount 42.505 has more than 2 decimal places for USD",
      "9 amount: amount 1,234.50 has a thousands separator; write it like 1234.50",
      "10 currency: unknown currency XYZ",
      "11 currency: currency EUR does not match the merchant currency USD",
      "12 customer_id / email: the row has neither a customer id nor an e-mail",
      "13 email: e-mail \"not-an-email\": Enter a valid e-mail address",
      `14 order_id: order id is longer than 200 characters`,
      "15 -: the row has 4 fields, the header has 6",
      "16 order_id: order id B-2 already appears on line 2",
      "18 customer_id: no member has customer id NOBODY, and the row has no e-mail to create one",
    ]);
    expect(s).toMatchObject({ rowsOk: 2, rowsFailed: 15, rowsDuplicate: 0, errorCount: 15 });
    expect((await ordersOf(m.id)).map((o) => o.external_order_id)).toEqual(["B-2", "B-17"]);
    // The full report is written beside the input.
    expect(s.errorsPath).toBe(`${file}.errors.csv`);
    const report = fs.readFileSync(s.errorsPath!, "utf8").split("\n");
    expect(report[0]).toBe("line,column,reason");
    expect(report[1]).toBe('3,date,"date ""2024-02-30"" does not exist"');
    expect(report).toHaveLength(17);
    const row = await tenant(m.id, (trx) => getImport(trx, m.id, s.importId));
    expect(row!.errors).toHaveLength(15);
    expect(row!.errors[0]).toEqual({ line: 3, column: "date", reason: 'date "2024-02-30" does not exist' });
  });

  it("fails a file without a required header before writing anything, naming the headers found and the aliases", async () => {
    const m = await createMerchant();
    const file = csvFile("missing-header.csv");
    const importId = await tenant(m.id, (trx) => createImport(trx, m.id, { filename: "missing-header.csv", awardPoints: false, totalBytes: 1, createdBy: null }));
    const err = await runOrderImport({ merchantId: m.id, importId, filePath: file, awardPoints: false, actor: SYSTEM }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImportFileError);
    const message = (err as Error).message;
    expect(message).toContain("Missing the amount column (amount, total, order_total)");
    expect(message).toContain('Headers found: "customer_id", "email", "date", "price"');
    expect(await counts(m.id)).toEqual({ orders: 0, members: 0, journals: 0 });
    const row = await tenant(m.id, (trx) => getImport(trx, m.id, importId));
    expect(row).toMatchObject({ status: "failed", failure: message, rows_ok: 0 });
    expect(fs.existsSync(`${file}.errors.csv`)).toBe(false);
  });

  it("fails an empty file with a clear message", async () => {
    const m = await createMerchant();
    const err = await importFile(m.id, csvFile("", { literal: true })).catch((e: unknown) => e);
    expect((err as Error).message).toContain("The file is empty");
  });
});

describe("--dry-run", () => {
  it("checks every line and writes the report without touching the database", async () => {
    const m = await createMerchant({ currency: "USD" });
    const file = csvFile("bad-rows.csv");
    const r = await checkOrderFile({ merchantId: m.id, filePath: file });
    // What needs the database (unknown customer ids) is not checked: B-18 passes here.
    expect(r).toMatchObject({ rowsOk: 3, rowsFailed: 14, errorCount: 14, errorsPath: `${file}.errors.csv` });
    expect(await counts(m.id)).toEqual({ orders: 0, members: 0, journals: 0 });
  });
});

describe("re-importing", () => {
  it("changes nothing: same counts, every order a duplicate, no new rows", async () => {
    const m = await createMerchant({ currency: "EUR", timezone: "Europe/Berlin" });
    const file = csvFile("good.csv");
    const first = await importFile(m.id, file);
    const before = { counts: await counts(m.id), orders: await ordersOf(m.id) };
    const second = await importFile(m.id, file);
    expect(second).toMatchObject({ rowsOk: 0, rowsDuplicate: first.rowsOk, rowsFailed: 0, membersCreated: 0 });
    expect({ counts: await counts(m.id), orders: await ordersOf(m.id) }).toEqual(before);
  });

  it("derives stable order ids for rows without one; identical rows are distinct orders", async () => {
    const m = await createMerchant();
    const file = csvFile("no-order-ids.csv");
    const first = await importFile(m.id, file);
    expect(first).toMatchObject({ rowsOk: 4, rowsDuplicate: 0, rowsFailed: 0 });
    const ids = (await ordersOf(m.id)).map((o) => o.external_order_id);
    expect(new Set(ids).size).toBe(4);
    expect(ids.every((id) => id.startsWith("csv:"))).toBe(true);
    const second = await importFile(m.id, file);
    expect(second).toMatchObject({ rowsOk: 0, rowsDuplicate: 4 });
    // One more identical row appended: only it is new.
    fs.appendFileSync(file, "c1@example.com,2024-05-01,10.00\n");
    const third = await importFile(m.id, file);
    expect(third).toMatchObject({ rowsOk: 1, rowsDuplicate: 4 });
    expect((await counts(m.id)).orders).toBe(5);
  });
});

describe("members", () => {
  it("are created once across batches and matched by customer id, e-mail or both", async () => {
    const m = await createMerchant();
    const [known] = await insertMembers(m.id, [{ email: "known@example.com" }]);
    const rows = ["order_id,customer_id,email,date,amount"];
    for (let i = 1; i <= 20; i++) rows.push(`o${i},C${i % 3},c${i % 3}@example.com,2024-01-${String(i).padStart(2, "0")},1.00`);
    rows.push("o21,C-known,KNOWN@example.com,2024-02-01,2.00", "o22,C-known,,2024-02-02,3.00", "o23,,c1@example.com,2024-02-03,4.00");
    const s = await importFile(m.id, csvFile(`${rows.join("\n")}\n`, { literal: true }), { batchSize: 3 });
    expect(errorLines(s)).toEqual([]);
    expect(s).toMatchObject({ rowsOk: 23, membersCreated: 3 });
    const members = await tenant(m.id, (trx) => trx.selectFrom("members").select(["id", "email", "external_id"]).where("merchant_id", "=", m.id).orderBy("email").execute());
    expect(members.map((x) => [x.email, x.external_id])).toEqual([
      ["c0@example.com", "C0"],
      ["c1@example.com", "C1"],
      ["c2@example.com", "C2"],
      ["known@example.com", "C-known"],
    ]);
    expect(members.find((x) => x.email === "known@example.com")!.id).toBe(known);
    const perMember = await tenant(m.id, (trx) =>
      trx.selectFrom("orders").select(["member_id", (e) => e.fn.countAll<string>().as("n")]).where("merchant_id", "=", m.id).groupBy("member_id").execute(),
    );
    expect(perMember.map((r) => Number(r.n)).sort()).toEqual([2, 6, 7, 8]);
  });

  it("does not steal an e-mail that belongs to another customer id", async () => {
    const m = await createMerchant();
    await insertMembers(m.id, [{ email: "taken@example.com", external_id: "C-1" }]);
    const s = await importFile(m.id, csvFile("customer_id,email,date,amount\nC-2,taken@example.com,2024-01-01,1.00\n", { literal: true }));
    expect(errorLines(s)).toEqual(["2 email: e-mail taken@example.com belongs to a member with another customer id (C-1)"]);
    expect((await counts(m.id)).members).toBe(1);
  });
});

describe("--award-points", () => {
  it("earns points for newly imported orders only, once", async () => {
    const m = await createMerchant({ currency: "EUR", timezone: "Europe/Berlin" });
    await tenant(m.id, (trx) =>
      trx.insertInto("earning_rules").values({ merchant_id: m.id, rules: JSON.stringify({ ...DEFAULT_RULES, pendingDays: 0, expiry: { mode: "never" } }) }).execute(),
    );
    const file = csvFile("good.csv");
    // Two orders first without points: importing the whole file with points then earns only for the three new ones.
    fs.writeFileSync(`${file}.part.csv`, fs.readFileSync(file, "utf8").split("\n").slice(0, 3).join("\n") + "\n");
    await importFile(m.id, `${file}.part.csv`);
    const s = await importFile(m.id, file, { awardPoints: true, batchSize: 2 });
    expect(s).toMatchObject({ rowsOk: 3, rowsDuplicate: 2 });
    // 7.00 → 7, 120.00 → 120, 0.05 → 0 points (1 point per euro, rounded down).
    expect(s.pointsAwarded).toBe(127);
    const journals = await tenant(m.id, (trx) => trx.selectFrom("ledger_journals").select(["kind", "points", "order_id"]).where("merchant_id", "=", m.id).where("source", "=", "order").execute());
    expect(journals.map((j) => j.points).sort((a, b) => a - b)).toEqual([7, 120]);
    const again = await importFile(m.id, file, { awardPoints: true });
    expect(again).toMatchObject({ rowsOk: 0, rowsDuplicate: 5, pointsAwarded: 0 });
    expect((await counts(m.id)).journals).toBe(journals.length);
  });
});

describe("admin upload", () => {
  const upload = (slug: string, cookie: string, body: FormData) =>
    importsPage.action({ request: new Request(`${ORIGIN}/admin/${slug}/imports`, { method: "POST", headers: { Cookie: cookie, Origin: ORIGIN }, body }), params: { merchant: slug }, context: {} });
  const form = (text: string, name = "orders.csv", award = false) => {
    const f = new FormData();
    if (award) f.append("awardPoints", "on");
    f.append("file", new File([text], name, { type: "text/csv" }));
    return f;
  };

  it("stores the file, queues the job, runs it and shows progress, errors and the error report", async () => {
    const m = await createMerchant();
    const admin = await createStaff(m.id, "admin");
    const text = fs.readFileSync(path.join(FIXTURES, "bad-rows.csv"), "utf8");
    const res = (await upload(m.slug, admin.cookie, form(text, "history.csv"))) as Response;
    expect(res.status).toBe(302);
    const importId = res.headers.get("Location")!.split("/").pop()!;
    expect(res.headers.get("Location")).toBe(`/admin/${m.slug}/imports/${importId}`);
    expect(fs.readFileSync(uploadPath(m.id, importId), "utf8")).toBe(text);

    const queued = await tenant(m.id, (trx) => getImport(trx, m.id, importId));
    expect(queued).toMatchObject({ status: "queued", filename: "history.csv", award_points: false, created_by: admin.id, total_bytes: Buffer.byteLength(text) });
    const jobs = await sql<{ task_identifier: string; payload: { importId: string }; max_attempts: number }>`
      select t.identifier as task_identifier, j.payload, j.max_attempts
      from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
      where j.key = ${`import-orders:${importId}`}`.execute(owner);
    expect(jobs.rows).toEqual([{ task_identifier: IMPORT_ORDERS_TASK, payload: { merchantId: m.id, importId }, max_attempts: 3 }]);

    const args = { request: getRequest(`/admin/${m.slug}/imports/${importId}`, admin.cookie), params: { merchant: m.slug, importId }, context: {} };
    expect((await importPage.loader(args)).imp.status).toBe("queued");

    // The worker's queue, with only this task: graphile-worker picks the job up and runs it.
    await runOnce({ connectionString: ownerUrl, taskList: { [IMPORT_ORDERS_TASK]: importOrdersTask() }, logger: jobsLogger });
    const page = await importPage.loader(args);
    expect(page.imp).toMatchObject({ status: "done", rows_ok: 2, rows_failed: 15, processed_bytes: Buffer.byteLength(text) });
    expect(page.errors[0]).toEqual({ line: 3, column: "date", reason: 'date "2024-02-30" does not exist' });

    const csv = await errorsCsv.loader({ ...args, request: getRequest(`/admin/${m.slug}/imports/${importId}/errors.csv`, admin.cookie) });
    expect(csv.headers.get("Content-Disposition")).toBe('attachment; filename="history.errors.csv"');
    const body = await csv.text();
    expect(body.split("\n")).toHaveLength(17);
    expect(body).toContain("16,order_id,order id B-2 already appears on line 2");

    const list = await importsPage.loader({ request: getRequest(`/admin/${m.slug}/imports`, admin.cookie), params: { merchant: m.slug }, context: {} });
    expect(list.imports.map((i) => [i.id, i.status, i.rows_ok])).toEqual([[importId, "done", 2]]);
    expect(list.canUpload).toBe(true);
  });

  it("a job whose file has no usable header marks the import failed and is not retried", async () => {
    const m = await createMerchant();
    const importId = await tenant(m.id, async (trx) => {
      const id = await createImport(trx, m.id, { filename: "x.csv", awardPoints: false, totalBytes: 10, createdBy: null });
      await enqueueImportJob(trx, m.id, id);
      return id;
    });
    fs.mkdirSync(path.dirname(uploadPath(m.id, importId)), { recursive: true });
    fs.copyFileSync(path.join(FIXTURES, "missing-header.csv"), uploadPath(m.id, importId));
    await runOnce({ connectionString: ownerUrl, taskList: { [IMPORT_ORDERS_TASK]: importOrdersTask() }, logger: jobsLogger });
    const row = await tenant(m.id, (trx) => getImport(trx, m.id, importId));
    expect(row).toMatchObject({ status: "failed", failure: expect.stringContaining("Missing the amount column") });
    const left = await sql`select 1 from graphile_worker._private_jobs where key = ${`import-orders:${importId}`}`.execute(owner);
    expect(left.rows).toEqual([]);
  });

  it("analysts can look but not upload; bad uploads get a clear 4xx and leave nothing behind", async () => {
    const m = await createMerchant();
    const analyst = await createStaff(m.id, "analyst");
    const admin = await createStaff(m.id, "admin");
    const refused = await thrownResponse(() => upload(m.slug, analyst.cookie, form("email,date,amount\n")));
    expect(refused.status).toBe(403);
    const list = await importsPage.loader({ request: getRequest(`/admin/${m.slug}/imports`, analyst.cookie), params: { merchant: m.slug }, context: {} });
    expect(list.canUpload).toBe(false);

    const statusOf = (r: unknown) => (r as { init: { status: number } }).init.status;
    const errorOf = (r: unknown) => (r as { data: { error: string } }).data.error;
    const empty = await upload(m.slug, admin.cookie, form(""));
    expect([statusOf(empty), errorOf(empty)]).toEqual([400, "The file is empty."]);
    const xlsx = await upload(m.slug, admin.cookie, form("PK\u0003\u0004rest-of-a-zip", "orders.xlsx"));
    expect(errorOf(xlsx)).toContain("Excel workbook");
    const noFile = new FormData();
    noFile.append("awardPoints", "on");
    expect(errorOf(await upload(m.slug, admin.cookie, noFile))).toBe("Choose a CSV file to upload.");

    const big = new Request(`${ORIGIN}/x`, { method: "POST", body: form("email,date,amount\n" + "a@example.com,2024-01-01,1.00\n".repeat(100)) });
    const tooLarge = await receiveUpload(big, m.id, "imp_toolarge", 1000).catch((e: unknown) => e);
    expect(withHttpStatus(tooLarge)).toMatchObject({ status: 413, message: expect.stringContaining("larger than") });
    expect(fs.existsSync(uploadPath(m.id, "imp_toolarge"))).toBe(false);
    expect(await tenant(m.id, (trx) => trx.selectFrom("imports").select("id").where("merchant_id", "=", m.id).execute())).toEqual([]);
  });
});

describe("npm run cli -- import orders", () => {
  it("imports a file, prints the summary and the first errors", async () => {
    const m = await createMerchant({ currency: "USD" });
    const file = csvFile("bad-rows.csv");
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "app/bin/cli.ts", "import", "orders", "--merchant", m.slug, "--file", file], {
      env: { ...process.env, DATABASE_URL: ownerUrl, DATA_DIR: path.join(tmp, "cli-data") },
      timeout: 60_000,
    });
    expect(stdout).toContain(`imported ${path.basename(file)} into ${m.slug}`);
    expect(stdout).toMatch(/ok:\s+2\n/);
    expect(stdout).toMatch(/failed:\s+15\n/);
    expect(stdout).toContain("line 7, amount: amount -5.00 is negative");
    expect(stdout).toContain(`full error report: ${file}.errors.csv`);
    expect((await counts(m.id)).orders).toBe(2);
  }, 90_000);
});
