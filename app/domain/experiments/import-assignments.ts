import { parse } from "csv-parse/sync";
import { isId } from "~/lib/ids";

/**
 * Externally assigned arms from a CSV (experiments run elsewhere: an e-mail tool, a POS promotion). Pure parsing and
 * validation; the database side is import-assignments.server.ts.
 *
 * Columns (header row, case-insensitive): the member as `customer_id` / `customer` / `external_id` / `member_id`
 * (a Perennial member id `mbr_…` or the merchant's external id) and/or `email`; `arm`; optionally `assigned_at`
 * (ISO date or timestamp; default: the time of the import).
 */

export const ARM_PATTERN = /^[A-Za-z0-9][A-Za-z0-9 _.-]{0,59}$/;
const ID_COLUMNS = ["customer_id", "customer", "external_id", "member_id", "customer id", "id"];
const EMAIL_COLUMNS = ["email", "e-mail", "e_mail"];

export interface AssignmentRow {
  line: number;
  memberId: string | null;
  externalId: string | null;
  email: string | null;
  arm: string;
  assignedAt: Date | null;
}

export interface LineError {
  line: number;
  message: string;
}

export function parseAssignmentsCsv(text: string): { rows: AssignmentRow[]; errors: LineError[] } {
  const records = parse(text, { bom: true, skip_empty_lines: true, relax_column_count: true, trim: true, info: true }) as unknown as {
    record: string[];
    info: { lines: number };
  }[];
  if (records.length === 0) return { rows: [], errors: [{ line: 1, message: "the file is empty" }] };
  const header = records[0]!.record.map((h) => h.toLowerCase());
  const idCol = header.findIndex((h) => ID_COLUMNS.includes(h));
  const emailCol = header.findIndex((h) => EMAIL_COLUMNS.includes(h));
  const armCol = header.indexOf("arm");
  const atCol = header.indexOf("assigned_at");
  const headerErrors: LineError[] = [];
  if (idCol < 0 && emailCol < 0) headerErrors.push({ line: 1, message: "no customer column: name one customer_id (or external_id, member_id) or email" });
  if (armCol < 0) headerErrors.push({ line: 1, message: "no arm column" });
  if (headerErrors.length) return { rows: [], errors: headerErrors };

  const rows: AssignmentRow[] = [];
  const errors: LineError[] = [];
  const seen = new Map<string, number>();
  for (const { record, info } of records.slice(1)) {
    const line = info.lines;
    const id = idCol >= 0 ? (record[idCol] ?? "") : "";
    const email = emailCol >= 0 ? (record[emailCol] ?? "").toLowerCase() : "";
    const arm = record[armCol] ?? "";
    if (!id && !email) {
      errors.push({ line, message: "no customer id or e-mail" });
      continue;
    }
    if (id.length > 200) {
      errors.push({ line, message: "customer id longer than 200 characters" });
      continue;
    }
    if (email && (email.length > 254 || !/^[^\s@]+@[^\s@]+$/.test(email))) {
      errors.push({ line, message: `"${email.slice(0, 60)}" is not an e-mail address` });
      continue;
    }
    if (!ARM_PATTERN.test(arm)) {
      errors.push({ line, message: arm ? `arm "${arm.slice(0, 60)}" must be 1–60 letters, digits, spaces, _ . or -` : "no arm" });
      continue;
    }
    let assignedAt: Date | null = null;
    if (atCol >= 0 && record[atCol]) {
      assignedAt = new Date(record[atCol]!);
      if (Number.isNaN(assignedAt.getTime()) || assignedAt.getTime() > Date.now() + 86_400_000) {
        errors.push({ line, message: `assigned_at "${record[atCol]!.slice(0, 40)}" is not a past date or timestamp` });
        continue;
      }
    }
    const key = id ? `id:${id}` : `email:${email}`;
    const first = seen.get(key);
    if (first !== undefined) {
      errors.push({ line, message: `the same customer is on line ${first}` });
      continue;
    }
    seen.set(key, line);
    const isMemberId = id !== "" && isId("member", id);
    rows.push({ line, memberId: isMemberId ? id : null, externalId: id && !isMemberId ? id : null, email: email || null, arm, assignedAt });
  }
  return { rows, errors };
}
