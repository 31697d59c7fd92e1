import { createElement } from "react";
import { renderToString } from "react-dom/server";
import type { OpenApiDoc } from "~/api/openapi-docs";
import { ApiDocsIndex, ApiTagReference } from "~/components/ui/api-docs-pages";
import { loader as layoutLoader } from "~/routes/api.v1.docs";
import { loader as indexLoader } from "~/routes/api.v1.docs._index";
import { loader as tagLoader } from "~/routes/api.v1.docs.$tag";

/**
 * The API reference's pages as the server renders them: the loaders called with real Requests, the page components
 * rendered to HTML. The shell around them (search form, section list) is exercised in the browser,
 * in tests/e2e/api-docs.test.ts.
 */
const ORIGIN = "http://localhost";

export async function docsIndexPage(search = "") {
  const request = new Request(`${ORIGIN}/api/v1/docs${search}`);
  const { outline, q } = await layoutLoader({ request, params: {}, context: {} });
  const { overview } = await indexLoader();
  const html = renderToString(createElement(ApiDocsIndex, { overview, outline, query: q }));
  return { html, outline, q };
}

export async function docsTagPage(slug: string) {
  const path = `/api/v1/docs/${slug}`;
  const data = await tagLoader({ request: new Request(`${ORIGIN}${path}`), params: { tag: slug }, context: {} });
  const html = renderToString(createElement(ApiTagReference, data));
  return { html, doc: data.doc as OpenApiDoc, tag: data.tag };
}
