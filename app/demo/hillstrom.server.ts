import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parse } from "csv-parse/sync";
import { sql } from "kysely";
import { withTenant, type DB } from "~/db.server";
import { createExperiment } from "~/domain/experiments/assignment.server";
import { importAssignmentsFromFile } from "~/domain/experiments/import-assignments-file.server";
import type { ImportAssignmentsResult } from "~/domain/experiments/import-assignments.server";
import { createMerchantWithOwner } from "~/domain/merchants/create.server";
import { readTextFile } from "~/lib/files.server";
import { newId } from "~/lib/ids";
import { buildIncrementalityReport, type IncrementalityReport } from "~/domain/incrementality/report.server";

/**
 * `npm run cli -- demo hillstrom`: Kevin Hillstrom's MineThatData e-mail test (64,000 customers, 2008) replayed
 * through the product, so the incrementality report can be checked against the published lifts.
 *
 *  - a merchant with one member per customer (external id `hillstrom-<row>`);
 *  - the prior year's spend (`history`) as one pre-period order half a year before the campaign: the CUPED covariate;
 *  - the arms (Mens E-Mail, Womens E-Mail, No E-Mail = control) imported as an external assignment through the same
 *    CSV path as `npm run cli -- import assignments` (a file written next to the data set's copy in the temp folder);
 *  - the two weeks' `spend` as an order one week after the campaign, for customers who spent;
 *  - a gross margin of 100%: the published figures are revenue, so net value per member equals spend here.
 * The report is read over the 14 days after assignment.
 */

export const HILLSTROM_ASSIGNED_AT = new Date("2008-03-20T00:00:00Z");
export const HILLSTROM_WINDOW_DAYS = 14;
export const HILLSTROM_CONTROL = "No E-Mail";
const DAY_MS = 86_400_000;

export interface HillstromResult {
  merchantId: string;
  slug: string;
  ownerEmail: string;
  ownerPassword: string;
  members: number;
  orders: number;
  import: ImportAssignmentsResult;
  report: IncrementalityReport;
  seconds: number;
}

export async function loadHillstrom(
  database: DB,
  opts: { file: string; slug: string; name?: string; ownerEmail?: string; ownerPassword?: string },
): Promise<HillstromResult> {
  const started = performance.now();
  const rows = parse(readTextFile(opts.file), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
  if (!rows.length || !("history" in rows[0]!) || !("segment" in rows[0]!) || !("spend" in rows[0]!)) {
    throw new Error(`${opts.file} is not the Hillstrom data set (columns history, segment, spend expected)`);
  }
  const ownerEmail = opts.ownerEmail ?? `owner@${opts.slug}.test`;
  const ownerPassword = opts.ownerPassword ?? `hillstrom-${newId("member").slice(4, 16)}`;
  const { merchant } = await createMerchantWithOwner(database, {
    merchant: { name: opts.name ?? "Hillstrom e-mail test", slug: opts.slug, currency: "USD", timezone: "UTC" },
    owner: { name: "Hillstrom Owner", email: ownerEmail, password: ownerPassword },
  });

  const ids = rows.map(() => newId("member"));
  const externalIds = rows.map((_, i) => `hillstrom-${i + 1}`);
  const cents = (v: string | undefined) => Math.round(Number(v ?? 0) * 100);
  const pre = { member: [] as string[], ext: [] as string[], amount: [] as number[] };
  const post = { member: [] as string[], ext: [] as string[], amount: [] as number[] };
  rows.forEach((r, i) => {
    const history = cents(r.history);
    if (history > 0) {
      pre.member.push(ids[i]!);
      pre.ext.push(`hillstrom-${i + 1}-history`);
      pre.amount.push(history);
    }
    const spend = cents(r.spend);
    if (spend > 0) {
      post.member.push(ids[i]!);
      post.ext.push(`hillstrom-${i + 1}-spend`);
      post.amount.push(spend);
    }
  });

  let experimentId = "";
  await withTenant(database, merchant.id, async (trx) => {
    await sql`
      insert into members (merchant_id, id, email, external_id, created_at, updated_at)
      select ${merchant.id}, t.id, t.ext || '@hillstrom.example', t.ext, ${new Date(HILLSTROM_ASSIGNED_AT.getTime() - 365 * DAY_MS)}, now()
      from unnest(${ids}::text[], ${externalIds}::text[]) as t(id, ext)`.execute(trx);
    const insertOrders = (o: typeof pre, at: Date) => sql`
      insert into orders (merchant_id, id, member_id, source, external_order_id, amount_minor, currency, occurred_at, created_at)
      select ${merchant.id}, 'ord_' || substr(md5(t.ext), 1, 24), t.member_id, 'import', t.ext, t.amount, 'USD', ${at}, ${at}
      from unnest(${o.member}::text[], ${o.ext}::text[], ${o.amount}::bigint[]) as t(member_id, ext, amount)`.execute(trx);
    await insertOrders(pre, new Date(HILLSTROM_ASSIGNED_AT.getTime() - 182 * DAY_MS));
    await insertOrders(post, new Date(HILLSTROM_ASSIGNED_AT.getTime() + 7 * DAY_MS));
    await sql`insert into cltv_settings (merchant_id, gross_margin_bps) values (${merchant.id}, 10000)
      on conflict (merchant_id) do update set gross_margin_bps = excluded.gross_margin_bps`.execute(trx);
    const arms = [...new Set(rows.map((r) => r.segment!))].sort();
    const experiment = await createExperiment(trx, merchant.id, {
      kind: "custom",
      name: "Hillstrom e-mail test (MineThatData, March 2008)",
      assignment: "external",
      arms: arms.map((arm) => ({ arm, control: arm === HILLSTROM_CONTROL })),
    });
    experimentId = experiment.id;
  });

  // The arms go through the same CSV import an operator would run.
  const csv = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "hillstrom-")), "assignments.csv");
  const lines = ["customer_id,arm,assigned_at", ...rows.map((r, i) => `${externalIds[i]},${r.segment},${HILLSTROM_ASSIGNED_AT.toISOString()}`)];
  fs.writeFileSync(csv, lines.join("\n") + "\n");
  const imported = await importAssignmentsFromFile(database, merchant.id, { campaign: experimentId, file: csv, control: HILLSTROM_CONTROL, actor: { type: "system", id: "demo-hillstrom" } });
  fs.rmSync(path.dirname(csv), { recursive: true, force: true });

  const report = await withTenant(database, merchant.id, (trx) => buildIncrementalityReport(trx, merchant.id, experimentId, { windowDays: HILLSTROM_WINDOW_DAYS }));
  return {
    merchantId: merchant.id,
    slug: merchant.slug,
    ownerEmail,
    ownerPassword,
    members: rows.length,
    orders: pre.member.length + post.member.length,
    import: imported,
    report,
    seconds: (performance.now() - started) / 1000,
  };
}
