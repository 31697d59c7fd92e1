import { Link, useFetcher } from "@remix-run/react";
import { useEffect, useId, useState } from "react";
import { adminPath } from "~/components/admin/use-admin";
import { Badge, buttonClass } from "~/components/ui";
import { FlagBadges } from "./admin-referrals";
import { REFERRAL_STATUS_LABEL, REFERRAL_STATUS_TONE, type TreeChildrenPage, type TreeNodeView } from "./views";

/** Where a node's children come from: the resource route answering one page of direct referrals. */
export const childrenHref = (slug: string, memberId: string, cursor: string | null) =>
  adminPath(slug, `referrals/tree/${memberId}/children${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ""}`);

function NodeLine({ slug, node }: { slug: string; node: TreeNodeView }) {
  return (
    <div className="flex min-w-0 flex-wrap items-center gap-x-3 gap-y-1">
      <Link to={adminPath(slug, `members/${node.memberId}`)} className="font-medium text-brand-700 underline-offset-2 hover:underline">
        {node.name}
      </Link>
      <span className="text-xs text-stone-600">{node.email}</span>
      {node.referralStatus ? <Badge tone={REFERRAL_STATUS_TONE[node.referralStatus]}>{REFERRAL_STATUS_LABEL[node.referralStatus]}</Badge> : null}
      {node.memberStatus !== "active" ? <Badge tone="red">Member {node.memberStatus}</Badge> : null}
      <span className="text-xs text-stone-700">
        Revenue <span className="font-medium tabular-nums">{node.revenue}</span>
      </span>
      {node.networkValue ? (
        <span className="text-xs text-stone-700">
          Network <span className="font-medium tabular-nums">{node.networkValue}</span>
        </span>
      ) : null}
      <FlagBadges flags={node.flags} />
    </div>
  );
}

/**
 * One member and, on demand, their direct referrals: the disclosure button loads the first page of children
 * through a fetcher, "Show more" the next pages. Without JavaScript the "tree" link re-roots the view at the node.
 */
function TreeNode({ slug, node, initial }: { slug: string; node: TreeNodeView; initial?: TreeChildrenPage }) {
  const fetcher = useFetcher<TreeChildrenPage>();
  const listId = useId();
  const [open, setOpen] = useState(Boolean(initial));
  const [pages, setPages] = useState<TreeChildrenPage[]>(initial ? [initial] : []);
  useEffect(() => {
    if (fetcher.state === "idle" && fetcher.data) {
      const page = fetcher.data;
      setPages((ps) => (ps.includes(page) ? ps : [...ps, page]));
    }
  }, [fetcher.state, fetcher.data]);
  const children = pages.flatMap((p) => p.nodes);
  const next = pages.length ? pages[pages.length - 1]!.nextCursor : null;
  const loading = fetcher.state !== "idle";

  function toggle() {
    if (!open && pages.length === 0) fetcher.load(childrenHref(slug, node.memberId, null));
    setOpen(!open);
  }

  return (
    <li className="py-1">
      <div className="flex items-start gap-2">
        {node.childCount > 0 ? (
          <button
            type="button"
            onClick={toggle}
            aria-expanded={open}
            aria-controls={listId}
            className="mt-0.5 inline-flex size-6 shrink-0 items-center justify-center rounded border border-stone-300 bg-white text-sm text-stone-700 hover:bg-stone-50"
          >
            <span aria-hidden>{open ? "−" : "+"}</span>
            <span className="sr-only">
              {open ? "Hide" : "Show"} {node.childCount} referrals of {node.name}
            </span>
          </button>
        ) : (
          <span aria-hidden className="inline-block size-6 shrink-0" />
        )}
        <div className="min-w-0 flex-1">
          <NodeLine slug={slug} node={node} />
          {node.childCount > 0 ? (
            <p className="text-xs text-stone-600">
              {node.childCount} direct referral{node.childCount === 1 ? "" : "s"} ·{" "}
              <Link to={adminPath(slug, `referrals/tree/${node.memberId}`)} className="underline underline-offset-2">
                open as tree<span className="sr-only"> of {node.name}</span>
              </Link>
            </p>
          ) : null}
        </div>
      </div>
      {open ? (
        <div id={listId} className="ml-3 border-l border-stone-200 pl-5">
          {children.length ? (
            <ul aria-label={`Referrals of ${node.name}`}>
              {children.map((c) => (
                <TreeNode key={c.memberId} slug={slug} node={c} />
              ))}
            </ul>
          ) : null}
          {loading ? (
            <p role="status" className="py-1 text-xs text-stone-600">
              Loading…
            </p>
          ) : null}
          {next && !loading ? (
            <button type="button" className={buttonClass("ghost", "sm")} onClick={() => fetcher.load(childrenHref(slug, node.memberId, next))}>
              Show more referrals of {node.name}
            </button>
          ) : null}
        </div>
      ) : null}
    </li>
  );
}

/** The tree under one member, the root expanded with its first page of children. */
export function ReferralTree({ slug, root, firstPage }: { slug: string; root: TreeNodeView; firstPage: TreeChildrenPage }) {
  return (
    <ul aria-label={`Referral tree of ${root.name}`} className="rounded-lg border border-stone-200 bg-white px-4 py-3">
      <TreeNode slug={slug} node={root} initial={firstPage} />
    </ul>
  );
}
