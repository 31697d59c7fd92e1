import { apiJson } from "~/api/errors";
import { apiHandler, authenticate, methodNotAllowed } from "~/api/request.server";
import { toApiMember } from "~/api/schemas";
import { db, withTenant } from "~/db.server";
import { getMember } from "~/domain/members/members.server";
import { notFound } from "~/lib/errors";

// GET /api/v1/members/{id} — another merchant's member id is a 404, exactly like an unknown one.
export const loader = apiHandler(async ({ request, params }) => {
  const auth = await authenticate(request, "members:read");
  const member = await withTenant(db(), auth.merchantId, (trx) => getMember(trx, auth.merchantId, params.id ?? ""));
  if (!member) throw notFound("Member");
  return apiJson(toApiMember(member));
});

export const action = methodNotAllowed("GET");
