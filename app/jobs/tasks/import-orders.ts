import type { Task } from "graphile-worker";
import { z } from "zod";
import { db, withTenant } from "~/db.server";
import { getImport, ImportFileError, runOrderImport, uploadPath } from "~/domain/imports/import.server";

const Payload = z.object({ merchantId: z.string().min(1), importId: z.string().min(1) });

/**
 * `import-orders`: runs an uploaded CSV import. A file that cannot be imported (bad header) marks the import failed
 * and is not retried; anything else (database down) throws, and graphile-worker retries — safe, since a re-run
 * skips the orders already imported.
 */
export function importOrdersTask(): Task {
  return async (payload, helpers) => {
    const parsed = Payload.safeParse(payload);
    if (!parsed.success) throw new Error(`import-orders: invalid payload ${JSON.stringify(payload)}`);
    const { merchantId, importId } = parsed.data;
    const row = await withTenant(db(), merchantId, (trx) => getImport(trx, merchantId, importId));
    if (!row || row.status === "done") return;
    try {
      const r = await runOrderImport({
        merchantId,
        importId,
        filePath: uploadPath(merchantId, importId),
        awardPoints: row.award_points,
        actor: row.created_by ? { type: "staff", id: row.created_by } : { type: "system", id: null },
      });
      helpers.logger.debug(`import-orders ${importId}: ${r.rowsOk} ok, ${r.rowsDuplicate} duplicates, ${r.rowsFailed} failed`);
    } catch (err) {
      if (err instanceof ImportFileError) return;
      throw err;
    }
  };
}
