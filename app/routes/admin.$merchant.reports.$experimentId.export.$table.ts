import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireStaff } from "~/web/guards.server";
import { db, withTenant } from "~/db.server";
import { toCsv } from "~/domain/incrementality/format";
import { loadReportPage } from "~/domain/incrementality/page.server";
import { reportWindowOf } from "~/domain/incrementality/report-params.server";
import { TABLE_NAMES, type TableName } from "~/domain/incrementality/tables";
import { reportTables } from "~/domain/incrementality/tables.server";
import { orNotFound } from "~/web/form-action.server";

/** CSV export of one table of the incrementality report, with the same window as the page it was linked from. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant } = await requireStaff(request, params.merchant, "analyst");
  const name = params.table as TableName;
  if (!TABLE_NAMES.includes(name)) throw new Response("Not found", { status: 404 });
  const { window } = reportWindowOf(new URL(request.url));
  const page = await orNotFound(withTenant(db(), merchant.id, (trx) => loadReportPage(trx, merchant.id, params.experimentId ?? "", window)), "Not found");
  const table = reportTables(page.report, page.series).find((t) => t.name === name);
  // Some tables exist for some programs only (the referral tables).
  if (!table) throw new Response("Not found", { status: 404 });
  const csv = toCsv(
    table.columns.map((c) => c.label),
    table.rows,
  );
  return new Response(csv, {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${page.report.experiment.id}-${name}.csv"`,
      "Cache-Control": "no-store",
    },
  });
}
