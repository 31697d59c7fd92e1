import { useOutletContext } from "@remix-run/react";
import { useEffect, useId } from "react";
import { searchOutline, tagHref, type OpenApiDoc, type TagOutline } from "~/api/openapi-docs";
import { InlineMarkdown, MethodBadge, OperationView, SchemaView } from "./api-docs";
import { buttonClass } from "./button";
import { cx } from "./cx";

/**
 * The API reference's pages (/api/v1/docs): a shell with the search box and the list of sections, the index (every
 * tag with its operations, filtered by the search), and one page per tag. The whole API on one page was too long to
 * read on a phone, or for axe to check in time; a tag page holds a handful of operations.
 *
 * Links and the search form are plain HTML, loading whole documents: the server refuses Remix's `.data` requests
 * under /api/ (the REST API speaks JSON only), and a reference page is quick to load anyway.
 */

export const DOCS_PATH = "/api/v1/docs";

/** What the docs layout hands its pages: the outline, and the search text as typed (ahead of any submit). */
export interface DocsContext {
  outline: TagOutline[];
  query: string;
}
export const useDocsContext = () => useOutletContext<DocsContext>();

const link = "rounded text-stone-700 hover:text-stone-900 hover:underline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand-600";

export function ApiDocsShell({
  title,
  version,
  specHref,
  currentPath,
  outline,
  query,
  onQueryChange,
  children,
}: {
  title: string;
  version: string;
  specHref: string;
  currentPath: string;
  outline: TagOutline[];
  query: string;
  onQueryChange: (query: string) => void;
  children: React.ReactNode;
}) {
  const searchId = useId();
  const here = currentPath.replace(/\/+$/, "") || "/";
  return (
    <div className="min-h-full bg-stone-50">
      <a href="#docs-main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2">
        Skip to content
      </a>
      <header className="border-b border-stone-200 bg-white">
        <div className="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-3 px-4 py-3 sm:px-6">
          <a href={DOCS_PATH} className={cx(link, "font-semibold text-stone-900")}>
            {title} <span className="font-normal text-stone-600">reference · v{version}</span>
          </a>
          {/* A plain GET form: searching works without JavaScript; with it, the index filters as you type. */}
          <form method="get" action={DOCS_PATH} role="search" className="flex w-full gap-2 sm:w-auto">
            <label htmlFor={searchId} className="sr-only">
              Search operations
            </label>
            <input
              id={searchId}
              type="search"
              name="q"
              value={query}
              onChange={(e) => onQueryChange(e.currentTarget.value)}
              maxLength={100}
              placeholder="Search operations"
              className="block w-full min-w-0 rounded-md border border-stone-300 bg-white px-3 py-1.5 text-sm text-stone-900 placeholder:text-stone-500 focus:outline-2 focus:outline-brand-500 sm:w-64"
            />
            <button type="submit" className={buttonClass("secondary", "sm")}>
              Search
            </button>
          </form>
        </div>
      </header>
      <div className="mx-auto max-w-6xl px-4 py-6 sm:px-6 lg:grid lg:grid-cols-[13rem_minmax(0,1fr)] lg:gap-10 lg:py-10">
        <nav aria-label="API sections" className="mb-6 lg:sticky lg:top-6 lg:mb-0 lg:self-start">
          <ul className="flex flex-wrap gap-2 text-sm lg:flex-col lg:gap-1">
            {[{ name: "Overview", href: DOCS_PATH, count: null }, ...outline.map((t) => ({ name: t.name, href: tagHref(t.slug), count: t.operations.length }))].map((s) => (
              <li key={s.href}>
                <a
                  href={s.href}
                  aria-current={s.href === here ? "page" : undefined}
                  className={cx(
                    link,
                    "flex items-center justify-between gap-2 border px-3 py-1 lg:border-0 lg:px-2",
                    s.href === here ? "border-brand-600 bg-white font-semibold text-stone-900" : "border-stone-300 bg-white lg:bg-transparent",
                  )}
                >
                  {s.name}
                  {s.count === null ? null : (
                    <span className="text-xs text-stone-600">
                      {s.count}
                      <span className="sr-only"> operations</span>
                    </span>
                  )}
                </a>
              </li>
            ))}
          </ul>
          <a href={specHref} className="mt-4 inline-block text-sm font-medium text-brand-600 underline">
            OpenAPI document (JSON)
          </a>
        </nav>
        <main id="docs-main" className="min-w-0">
          {children}
        </main>
      </div>
    </div>
  );
}

/** An operation's method, summary and path as one link: to its tag page, or (`inPage`) to its anchor here. */
function OperationLink({ slug, op, inPage = false }: { slug: string; op: TagOutline["operations"][number]; inPage?: boolean }) {
  return (
    <a href={inPage ? `#${op.anchor}` : tagHref(slug, op.anchor)} className={cx(link, "flex items-start gap-2 py-1")}>
      <MethodBadge method={op.method} />
      <span className="min-w-0">
        <span className="block text-sm">{op.summary || op.path}</span>
        <span className="block break-all font-mono text-xs text-stone-600">{op.path}</span>
      </span>
    </a>
  );
}

/** The index: introduction, every tag with its operations (or those matching the search), authentication, errors. */
export function ApiDocsIndex({ overview, outline, query }: { overview: OpenApiDoc; outline: TagOutline[]; query: string }) {
  useEffect(() => {
    // Links into the old single-page reference (/api/v1/docs#post-api-v1-orders) still reach their operation.
    const anchor = window.location.hash.slice(1);
    const tag = anchor ? outline.find((t) => t.operations.some((o) => o.anchor === anchor)) : undefined;
    if (tag) window.location.replace(tagHref(tag.slug, anchor));
  }, [outline]);

  const results = searchOutline(outline, query);
  const count = (tags: TagOutline[]) => tags.reduce((n, t) => n + t.operations.length, 0);
  const shown = count(results);
  const errorSchema = overview.components?.schemas?.Error;
  return (
    <div className="space-y-10">
      <header>
        <p className="text-sm font-semibold uppercase tracking-wide text-brand-600">API reference · v{overview.info.version}</p>
        <h1 className="mt-1 text-2xl font-semibold tracking-tight text-stone-900 sm:text-3xl">{overview.info.title}</h1>
        <p className="mt-3 max-w-3xl text-stone-700">
          <InlineMarkdown text={overview.info.description} />
        </p>
        {overview.servers?.[0] ? (
          <p className="mt-3 text-sm text-stone-600">
            Base URL: <code className="break-all font-mono">{overview.servers[0].url}</code>
          </p>
        ) : null}
      </header>

      <section id="operations" className="space-y-4">
        <h2 className="text-xl font-semibold text-stone-900">Operations</h2>
        <p role="status" className="text-sm text-stone-600">
          {query ? `${shown} of ${count(outline)} operations match “${query}”.` : `${count(outline)} operations in ${outline.length} sections.`}
        </p>
        {query && !shown ? (
          <p className="text-sm text-stone-700">
            Try fewer or other words, or{" "}
            <a href={DOCS_PATH} className="font-medium text-brand-600 underline">
              list every operation
            </a>
            .
          </p>
        ) : null}
        <div className="grid gap-4 md:grid-cols-2">
          {results.map((t) => (
            <div key={t.slug} className="rounded-lg border border-stone-200 bg-white p-4 shadow-sm">
              <h3 className="text-base font-semibold">
                <a href={tagHref(t.slug)} className="text-brand-600 underline">
                  {t.name}
                </a>
              </h3>
              {t.description ? <p className="mt-1 text-sm text-stone-600">{t.description}</p> : null}
              <ul className="mt-3 space-y-1">
                {t.operations.map((op) => (
                  <li key={op.anchor}>
                    <OperationLink slug={t.slug} op={op} />
                  </li>
                ))}
              </ul>
            </div>
          ))}
        </div>
      </section>

      <section id="authentication" className="space-y-2">
        <h2 className="text-xl font-semibold text-stone-900">Authentication</h2>
        {Object.entries(overview.components?.securitySchemes ?? {}).map(([name, scheme]) => (
          <p key={name} className="text-sm text-stone-700">
            <InlineMarkdown text={scheme.description} /> Format: <code className="font-mono">{String(scheme.bearerFormat ?? scheme.scheme)}</code>.
          </p>
        ))}
      </section>

      <section id="errors" className="space-y-2">
        <h2 className="text-xl font-semibold text-stone-900">Errors</h2>
        <p className="text-sm text-stone-700">Every non-2xx response has this JSON body:</p>
        {errorSchema ? <SchemaView doc={overview} schema={errorSchema} /> : null}
      </section>
    </div>
  );
}

type Neighbour = { name: string; slug: string } | null;

/** One tag's page: its operations in full, after a table of contents; links to the neighbouring tags at the end. */
export function ApiTagReference({ doc, tag, prev, next }: { doc: OpenApiDoc; tag: TagOutline; prev: Neighbour; next: Neighbour }) {
  return (
    <div className="space-y-8">
      <header>
        <p className="text-sm">
          <a href={DOCS_PATH} className="font-medium text-brand-600 underline">
            API reference
          </a>
        </p>
        <h1 className="mt-1 text-2xl font-semibold tracking-tight text-stone-900 sm:text-3xl">{tag.name}</h1>
        {tag.description ? <p className="mt-2 max-w-3xl text-stone-700">{tag.description}</p> : null}
      </header>

      <nav aria-label={`Operations in ${tag.name}`} className="rounded-lg border border-stone-200 bg-white p-4">
        <p className="text-xs font-semibold uppercase tracking-wide text-stone-600">On this page</p>
        <ul className="mt-2 space-y-1">
          {tag.operations.map((op) => (
            <li key={op.anchor}>
              <OperationLink slug={tag.slug} op={op} inPage />
            </li>
          ))}
        </ul>
      </nav>

      {tag.operations.map(({ method, path }) => (
        <OperationView key={`${method} ${path}`} doc={doc} operation={{ method, path, op: doc.paths?.[path]?.[method] ?? {} }} />
      ))}

      {prev || next ? (
        <nav aria-label="Other sections" className="flex flex-wrap justify-between gap-4 border-t border-stone-200 pt-6 text-sm">
          {prev ? (
            <a href={tagHref(prev.slug)} rel="prev" className="font-medium text-brand-600 underline">
              ← {prev.name}
            </a>
          ) : (
            <span />
          )}
          {next ? (
            <a href={tagHref(next.slug)} rel="next" className="font-medium text-brand-600 underline">
              {next.name} →
            </a>
          ) : null}
        </nav>
      ) : null}
    </div>
  );
}
