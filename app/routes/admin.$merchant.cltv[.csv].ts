import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireStaff } from "~/web/guards.server";
import { db, withTenant } from "~/db.server";
import { CSV_TABLES, cltvReportCsv, type CsvTable } from "~/domain/cltv/report-csv";
import { cltvReportPage } from "~/domain/cltv/summaries.server";

/** /admin/<slug>/cltv.csv?table=distribution|segments|fit|classic — one table of the CLTV page as CSV. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant } = await requireStaff(request, params.merchant, "analyst");
  const table = new URL(request.url).searchParams.get("table") ?? "";
  if (!(CSV_TABLES as readonly string[]).includes(table)) {
    throw new Response(`Unknown table: choose one of ${CSV_TABLES.join(", ")}`, { status: 400 });
  }
  const { report } = await withTenant(db(), merchant.id, (trx) => cltvReportPage(trx, merchant.id, merchant.currency));
  return new Response(cltvReportCsv(report, table as CsvTable), {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${merchant.slug}-cltv-${table}.csv"`,
      "Cache-Control": "no-store",
    },
  });
}
