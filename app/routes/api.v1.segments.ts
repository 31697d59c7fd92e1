import { apiJson } from "~/api/errors";
import { apiHandler, authenticate, methodNotAllowed } from "~/api/request.server";
import { now } from "~/lib/clock.server";
import { db, withTenant } from "~/db.server";
import { countSegment, listSegments } from "~/domain/segments/segments.server";

// GET /api/v1/segments — the merchant's segments with their rule and how many members match now.
export const loader = apiHandler(async ({ request }) => {
  const auth = await authenticate(request, "offers:read");
  const at = now();
  const data = await withTenant(db(), auth.merchantId, async (trx) => {
    const segments = await listSegments(trx, auth.merchantId);
    const out = [];
    for (const s of segments) out.push({ id: s.id, name: s.name, description: s.description, rule: s.rule, member_count: await countSegment(trx, auth.merchantId, s.rule, at) });
    return out;
  });
  return apiJson({ data });
});

export const action = methodNotAllowed("GET");
