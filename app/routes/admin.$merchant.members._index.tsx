import type { LoaderFunctionArgs } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { requireStaff } from "~/web/guards.server";
import { MemberFilters, MemberTable } from "~/components/admin/members-list";
import { Alert, CursorPager, EmptyState, LinkButton, PageHeader } from "~/components/ui";
import { db, withTenant } from "~/db.server";
import { countMembersCapped, listMembers, parseMemberListParams } from "~/domain/members/search.server";

const PARAM_LABEL = { q: "search", status: "status", from: "joined from", to: "joined to", orders: "has orders", cursor: "page", dir: "page direction" };

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant } = await requireStaff(request, params.merchant, "analyst");
  const { query, filters, ignored } = parseMemberListParams(new URL(request.url).searchParams);
  // Under Row Level Security a text search cannot use the trigram index, so counting its matches means reading every
  // member; the count is only shown when it is cheap (no search term).
  const { page, total } = await withTenant(db(), merchant.id, async (trx) => ({
    page: await listMembers(trx, merchant.id, query),
    total: query.q ? null : await countMembersCapped(trx, merchant.id, query),
  }));
  return { page, total, filters, ignored: ignored.map((k) => PARAM_LABEL[k]), slug: merchant.slug, currency: merchant.currency, timezone: merchant.timezone };
}

function pageHref(filters: Record<string, string | undefined>, cursor: string | null, dir: "next" | "prev") {
  if (!cursor) return null;
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(filters)) if (v) sp.set(k, v);
  sp.set("cursor", cursor);
  sp.set("dir", dir);
  return `?${sp.toString()}`;
}

export default function MembersList() {
  const { page, total, filters, ignored, slug, currency, timezone } = useLoaderData<typeof loader>();
  const filtered = Object.values(filters).some(Boolean);
  const summary = total
    ? `${total.capped ? `${total.count.toLocaleString("en-US")}+` : total.count.toLocaleString("en-US")} ${total.count === 1 && !total.capped ? "member" : "members"}${filtered ? (total.count === 1 && !total.capped ? " matches" : " match") : ""}`
    : `Showing ${page.rows.length} matching members, newest first`;
  return (
    <>
      <PageHeader title="Members" description="Everyone who has joined your program, newest first." />
      {ignored.length ? (
        <div className="mb-4">
          <Alert tone="warning" title="Some filters were ignored">
            These values in the address were not understood and were left out: {ignored.join(", ")}.
          </Alert>
        </div>
      ) : null}
      <MemberFilters filters={filters} />
      {page.rows.length ? (
        <>
          <p className="mb-2 text-sm text-stone-600" aria-live="polite">{summary}</p>
          <MemberTable rows={page.rows} slug={slug} currency={currency} timezone={timezone} />
          <CursorPager prevHref={pageHref(filters, page.prevCursor, "prev")} nextHref={pageHref(filters, page.nextCursor, "next")} />
        </>
      ) : filtered ? (
        <EmptyState title="No members match" action={<LinkButton to="." variant="secondary">Clear filters</LinkButton>}>
          Try a shorter search or fewer filters.
        </EmptyState>
      ) : (
        <EmptyState title="No members yet">Members appear here when they join through your portal, the API or an import.</EmptyState>
      )}
    </>
  );
}
