import { apiJson } from "~/api/errors";
import { openApiDocument } from "~/api/openapi";
import { apiHandler, methodNotAllowed } from "~/api/request.server";
import { appUrl } from "~/lib/env.server";

// GET /api/v1/openapi.json — public: the reference holds no secret, and tools fetch it without credentials.
export const loader = apiHandler(async () => apiJson(openApiDocument(appUrl())));

export const action = methodNotAllowed("GET");
