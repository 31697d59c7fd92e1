import { CltvSettingsPatch, fromApiCltvSettingsPatch, toApiCltvSettings } from "~/api/cltv-settings-schemas";
import { apiJson } from "~/api/errors";
import { apiHandler, authenticate, readJsonBody, requireMethod } from "~/api/request.server";
import { db, withTenant } from "~/db.server";
import { getAllCltvSettings, updateCltvSettings } from "~/domain/cltv/all-settings.server";

// GET /api/v1/settings/cltv — the CLTV settings (economics, model fitting, how points-funded rewards are costed).
export const loader = apiHandler(async ({ request }) => {
  const auth = await authenticate(request, "reports:read");
  return apiJson(toApiCltvSettings(await withTenant(db(), auth.merchantId, (trx) => getAllCltvSettings(trx, auth.merchantId))));
});

// PATCH /api/v1/settings/cltv — changes the given settings (audited with the key as actor), answers with all of them.
export const action = apiHandler(async ({ request }) => {
  requireMethod(request, "PATCH");
  const auth = await authenticate(request, "settings:write");
  const patch = fromApiCltvSettingsPatch(CltvSettingsPatch.parse(await readJsonBody(request)));
  const next = await withTenant(db(), auth.merchantId, (trx) => updateCltvSettings(trx, auth.merchantId, auth.actor, patch));
  return apiJson(toApiCltvSettings(next));
});
