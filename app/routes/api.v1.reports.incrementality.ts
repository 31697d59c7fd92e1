import { apiJson } from "~/api/errors";
import { IncrementalityQuery, toApiReport } from "~/api/incrementality-schemas";
import { apiHandler, authenticate, methodNotAllowed, queryObject } from "~/api/request.server";
import { db, withTenant } from "~/db.server";
import { resolveProgram } from "~/domain/incrementality/page.server";
import { readIncrementalityReport } from "~/domain/incrementality/summaries.server";
import { DomainError } from "~/lib/errors";

// GET /api/v1/reports/incrementality?program=<id>&arm=<arm>&from=&to= — the incremental CLTV report as JSON.
export const loader = apiHandler(async ({ request }) => {
  const auth = await authenticate(request, "reports:read");
  const q = IncrementalityQuery.parse(queryObject(request));
  const report = await withTenant(db(), auth.merchantId, async (trx) => {
    const experimentId = await resolveProgram(trx, auth.merchantId, q.program);
    // From the maintained summary for the kept windows (as of its refresh); any other window from the raw tables.
    const read = await readIncrementalityReport(trx, auth.merchantId, experimentId, { from: q.from, to: q.to, windowDays: q.window_days }, { series: false });
    return read.report;
  });
  if (q.arm && !report.arms.some((a) => a.arm === q.arm && !a.control)) throw new DomainError("not_found", `No arm "${q.arm}" other than the control in this program`, { field: "arm" });
  return apiJson(toApiReport(report, q.arm));
});

export const action = methodNotAllowed("GET");
