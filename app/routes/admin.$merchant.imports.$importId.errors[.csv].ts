import fs from "node:fs";
import { createReadableStreamFromReadable, type LoaderFunctionArgs } from "@remix-run/node";
import { requireStaff } from "~/web/guards.server";
import { db, withTenant } from "~/db.server";
import { ERROR_CSV_HEADER, errorCsvLine } from "~/domain/imports/csv";
import { errorsPathFor, getImport, uploadPath } from "~/domain/imports/import.server";
import { isId } from "~/lib/ids";

/**
 * The full error report of an uploaded import (written beside the upload), or — for a CLI import, whose report
 * stays next to the operator's file — the first errors kept in the imports row.
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant } = await requireStaff(request, params.merchant, "analyst");
  const importId = params.importId ?? "";
  if (!isId("import", importId)) throw new Response("Import not found", { status: 404 });
  const row = await withTenant(db(), merchant.id, (trx) => getImport(trx, merchant.id, importId));
  if (!row) throw new Response("Import not found", { status: 404 });
  const name = `${row.filename.replace(/\.csv$/i, "").replace(/[^\w.-]+/g, "_").slice(0, 100) || "import"}.errors.csv`;
  const headers = { "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": `attachment; filename="${name}"`, "Cache-Control": "no-store" };
  const report = errorsPathFor(uploadPath(merchant.id, importId));
  const stat = await fs.promises.stat(report).catch(() => null);
  if (stat?.isFile()) return new Response(createReadableStreamFromReadable(fs.createReadStream(report)), { headers });
  return new Response(ERROR_CSV_HEADER + row.errors.map(errorCsvLine).join(""), { headers });
}
