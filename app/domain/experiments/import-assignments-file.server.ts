import fs from "node:fs";
import { withTenant, type DB } from "~/db.server";
import type { Actor } from "~/domain/audit/audit.server";
import { DomainError } from "~/lib/errors";
import { parseAssignmentsCsv } from "./import-assignments";
import { findCampaignExperiment, importAssignments, type ImportAssignmentsResult } from "./import-assignments.server";

/** Files above this are refused before reading (10 million lines of assignments fit easily below it). */
const MAX_FILE_BYTES = 512 * 1024 * 1024;

/**
 * `npm run cli -- import assignments`: reads the CSV, validates every line and imports the valid ones in one tenant
 * transaction (all or nothing for the database; line errors are reported, not fatal).
 */
export async function importAssignmentsFromFile(
  database: DB,
  merchantId: string,
  opts: { campaign: string; file: string; control: string; actor: Actor },
): Promise<ImportAssignmentsResult> {
  let size: number;
  try {
    size = fs.statSync(opts.file).size;
  } catch {
    throw new DomainError("not_found", `Cannot read ${opts.file}`, { field: "file" });
  }
  if (size > MAX_FILE_BYTES) throw new DomainError("payload_too_large", `${opts.file} is larger than 512 MiB`, { field: "file" });
  const parsed = parseAssignmentsCsv(fs.readFileSync(opts.file, "utf8"));
  return withTenant(database, merchantId, async (trx) => {
    const experiment = await findCampaignExperiment(trx, merchantId, opts.campaign);
    return importAssignments(trx, merchantId, experiment, { ...parsed, control: opts.control, actor: opts.actor });
  });
}
