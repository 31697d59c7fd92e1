import { apiJson } from "~/api/errors";
import { toApiCodeCheck, ValidateCodeBody } from "~/api/rewards-schemas";
import { apiHandler, authenticate, methodNotAllowed, readJsonBody, requireMethod } from "~/api/request.server";
import { db, withTenant } from "~/db.server";
import { validateCode } from "~/domain/rewards/codes.server";

// POST /api/v1/codes/validate — may this code be applied to this order? Reads only; the discount or a precise error.
export const action = apiHandler(async ({ request }) => {
  requireMethod(request, "POST");
  const auth = await authenticate(request, "rewards:read");
  const body = ValidateCodeBody.parse(await readJsonBody(request));
  const check = await withTenant(db(), auth.merchantId, (trx) =>
    validateCode(trx, auth.merchantId, { code: body.code, orderAmountMinor: body.order_amount_minor, memberId: body.member_id }),
  );
  return apiJson(toApiCodeCheck(check));
});

export const loader = methodNotAllowed("POST");
