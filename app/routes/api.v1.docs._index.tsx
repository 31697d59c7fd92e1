import { useLoaderData } from "@remix-run/react";
import { openApiDocument } from "~/api/openapi";
import { overviewDocument, type OpenApiDoc } from "~/api/openapi-docs";
import { ApiDocsIndex, useDocsContext } from "~/components/ui/api-docs-pages";
import { appUrl } from "~/lib/env.server";

// The index of the API reference: the outline (with the search) comes from the layout, the rest from here.
export async function loader() {
  return { overview: overviewDocument(openApiDocument(appUrl()) as unknown as OpenApiDoc) };
}

export default function ApiDocsIndexPage() {
  const { overview } = useLoaderData<typeof loader>();
  const { outline, query } = useDocsContext();
  return <ApiDocsIndex overview={overview} outline={outline} query={query} />;
}
