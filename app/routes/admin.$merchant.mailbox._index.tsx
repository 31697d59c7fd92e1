import type { LoaderFunctionArgs } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { requireStaff } from "~/web/guards.server";
import { CursorPager, EmptyState } from "~/components/ui";
import { MailboxTable } from "~/components/ui/email";
import { db, withTenant } from "~/db.server";
import { listMailbox } from "~/domain/email/mailbox.server";

// Bad page parameters mean "first page", never an error.
const PageParams = z.object({
  cursor: z.string().max(200).optional().catch(undefined),
  dir: z.enum(["next", "prev"]).optional().catch(undefined),
});

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant } = await requireStaff(request, params.merchant, "analyst");
  const { cursor, dir } = PageParams.parse(Object.fromEntries(new URL(request.url).searchParams));
  const page = await withTenant(db(), merchant.id, (trx) => listMailbox(trx, merchant.id, { cursor, dir }));
  return { page, slug: merchant.slug, timezone: merchant.timezone };
}

const pageHref = (cursor: string | null, dir: "next" | "prev") => (cursor ? `?${new URLSearchParams({ cursor, dir })}` : null);

export default function MailboxList() {
  const { page, slug, timezone } = useLoaderData<typeof loader>();
  if (!page.rows.length && !page.prevCursor) {
    return <EmptyState title="No e-mails yet">Welcome messages, password resets and invitations for this merchant will be listed here.</EmptyState>;
  }
  return (
    <>
      <MailboxTable rows={page.rows} timezone={timezone} hrefOf={(id) => `/admin/${slug}/mailbox/${id}`} />
      <CursorPager prevHref={pageHref(page.prevCursor, "prev")} nextHref={pageHref(page.nextCursor, "next")} />
    </>
  );
}
