import type { MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { openApiDocument } from "~/api/openapi";
import { ApiReference, type OpenApiDoc } from "~/components/ui/api-docs";
import { appUrl } from "~/lib/env.server";

export const meta: MetaFunction = () => [{ title: "API reference · Perennial" }];

// Public, like the JSON document it renders: the same object, so the page cannot disagree with the spec.
export async function loader() {
  return { doc: openApiDocument(appUrl()) as unknown as OpenApiDoc };
}

export default function ApiDocs() {
  const { doc } = useLoaderData<typeof loader>();
  return <ApiReference doc={doc} specHref="/api/v1/openapi.json" />;
}
