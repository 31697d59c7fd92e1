import { apiErrorResponse } from "~/api/errors";

// Anything under /api/v1 that no route matches: a JSON 404 for every method, never the HTML error page.
function notFound({ request }: { request: Request }): Response {
  const { pathname } = new URL(request.url);
  return apiErrorResponse(404, "not_found", `No endpoint ${request.method} ${pathname}; see /api/v1/docs`);
}

export const loader = notFound;
export const action = notFound;
