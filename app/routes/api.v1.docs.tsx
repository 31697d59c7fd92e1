import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Outlet, useLoaderData, useLocation } from "@remix-run/react";
import { useState } from "react";
import { openApiDocument } from "~/api/openapi";
import { docsOutline, DocsSearchQuery, type OpenApiDoc } from "~/api/openapi-docs";
import { ApiDocsShell, type DocsContext } from "~/components/ui/api-docs-pages";
import { appUrl } from "~/lib/env.server";

export const meta: MetaFunction = () => [{ title: "API reference · Perennial" }];

// Public, like the JSON document it renders: the same object, so the pages cannot disagree with the spec.
// The layout of /api/v1/docs (index) and /api/v1/docs/<tag>: the outline and the search box are shared.
export async function loader({ request }: LoaderFunctionArgs) {
  const doc = openApiDocument(appUrl()) as unknown as OpenApiDoc;
  const q = DocsSearchQuery.parse(new URL(request.url).searchParams.get("q"));
  return { title: doc.info.title, version: doc.info.version, outline: docsOutline(doc), q };
}

export default function ApiDocsLayout() {
  const { title, version, outline, q } = useLoaderData<typeof loader>();
  // What is typed in the search box; the index filters on it at once. A submitted search loads a new page.
  const [query, setQuery] = useState(q);
  const { pathname } = useLocation();
  return (
    <ApiDocsShell title={title} version={version} specHref="/api/v1/openapi.json" currentPath={pathname} outline={outline} query={query} onQueryChange={setQuery}>
      <Outlet context={{ outline, query } satisfies DocsContext} />
    </ApiDocsShell>
  );
}
