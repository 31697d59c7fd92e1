import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireStaff } from "~/web/guards.server";
import { db, withTenant } from "~/db.server";
import { rfmSummaryCsv } from "~/domain/cltv/rfm-export.server";

/** /admin/<slug>/cltv/rfm.csv — every customer's x, t_x, T (weeks) and mean repeat spend, the models' inputs (analysts may read). */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant } = await requireStaff(request, params.merchant, "analyst");
  const csv = await withTenant(db(), merchant.id, (trx) => rfmSummaryCsv(trx, merchant.id));
  return new Response(csv, {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${merchant.slug}-cltv-rfm-summary.csv"`,
      "Cache-Control": "no-store",
    },
  });
}
