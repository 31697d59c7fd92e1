import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireStaff } from "~/web/guards.server";
import { db } from "~/db.server";
import { memberScoresCsvStream } from "~/domain/cltv/member-export.server";

/** /admin/<slug>/cltv/members.csv — every scored member's CLTV scores, streamed in batches (analysts may read). */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant } = await requireStaff(request, params.merchant, "analyst");
  return new Response(memberScoresCsvStream(db(), merchant), {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${merchant.slug}-cltv-members.csv"`,
      "Cache-Control": "no-store",
    },
  });
}
