import { redirect, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { openApiDocument } from "~/api/openapi";
import { docsOutline, tagDocument, tagHref, type OpenApiDoc } from "~/api/openapi-docs";
import { ApiTagReference } from "~/components/ui/api-docs-pages";
import { appUrl } from "~/lib/env.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.tag.name ?? "Not found"} · API reference · Perennial` }];

const TagParam = z.string().max(64);
const notFound = () => new Response("No such section of the API reference", { status: 404 });

// One tag of the API reference, e.g. /api/v1/docs/members: only its operations and the schemas they use.
export async function loader({ params }: LoaderFunctionArgs) {
  const parsed = TagParam.safeParse(params.tag);
  if (!parsed.success) throw notFound();
  const doc = openApiDocument(appUrl()) as unknown as OpenApiDoc;
  const page = tagDocument(doc, parsed.data);
  if (!page) {
    // /api/v1/docs/Members, as someone typed it, is the members page.
    const canonical = tagDocument(doc, parsed.data.toLowerCase());
    if (canonical) throw redirect(tagHref(canonical.tag.slug), 301);
    throw notFound();
  }
  const outline = docsOutline(doc);
  const at = outline.findIndex((t) => t.slug === page.tag.slug);
  const neighbour = (i: number) => (outline[i] ? { name: outline[i].name, slug: outline[i].slug } : null);
  return { ...page, prev: neighbour(at - 1), next: neighbour(at + 1) };
}

export default function ApiDocsTagPage() {
  const { doc, tag, prev, next } = useLoaderData<typeof loader>();
  return <ApiTagReference doc={doc} tag={tag} prev={prev} next={next} />;
}
