import { apiJson } from "~/api/errors";
import { requireMember } from "~/api/points.server";
import { LedgerQuery, toApiLedgerLine } from "~/api/points-schemas";
import { apiHandler, authenticate, methodNotAllowed, queryObject } from "~/api/request.server";
import { db, withTenant } from "~/db.server";
import { listMemberLedger } from "~/domain/points/balance.server";

// GET /api/v1/members/{id}/ledger — the member's ledger lines, newest first, with cursor pagination.
export const loader = apiHandler(async ({ request, params }) => {
  const auth = await authenticate(request, "points:read");
  const query = LedgerQuery.parse(queryObject(request));
  const page = await withTenant(db(), auth.merchantId, async (trx) => {
    const member = await requireMember(trx, auth, params.id ?? "");
    return listMemberLedger(trx, auth.merchantId, member.id, { cursor: query.cursor, limit: query.limit });
  });
  return apiJson({ data: page.rows.map(toApiLedgerLine), next_cursor: page.nextCursor });
});

export const action = methodNotAllowed("GET");
