import { Link } from "@remix-run/react";
import { useId } from "react";
import { cx } from "./cx";
import { useScrollRegion } from "./scroll-region";

/**
 * A table in a box that scrolls sideways on narrow screens; while it scrolls, the box is focusable and named after
 * the caption, so keyboard users can scroll it too.
 */
export function Table({ children, caption }: { children: React.ReactNode; caption?: string }) {
  const captionId = useId();
  const region = useScrollRegion<HTMLDivElement>(caption ? captionId : undefined);
  return (
    <div className="overflow-x-auto rounded-lg border border-stone-200 bg-white" {...region}>
      <table className="min-w-full divide-y divide-stone-200 text-sm">
        {caption ? (
          <caption id={captionId} className="sr-only">
            {caption}
          </caption>
        ) : null}
        {children}
      </table>
    </div>
  );
}

export function Th({ children, className }: { children?: React.ReactNode; className?: string }) {
  return (
    <th scope="col" className={cx("bg-stone-50 px-4 py-2 text-left text-xs font-semibold uppercase tracking-wide text-stone-600", className)}>
      {children}
    </th>
  );
}

export function Td({ children, className }: { children?: React.ReactNode; className?: string }) {
  return <td className={cx("whitespace-nowrap px-4 py-2 text-stone-800", className)}>{children}</td>;
}

/** Cursor pagination controls: links carry the cursor, so pages are shareable and the back button works. */
export function CursorPager({ prevHref, nextHref, summary }: { prevHref?: string | null; nextHref?: string | null; summary?: React.ReactNode }) {
  return (
    <nav className="mt-4 flex items-center justify-between text-sm" aria-label="Pagination">
      <span className="text-stone-600">{summary}</span>
      <span className="flex gap-2">
        {prevHref ? (
          <Link className="rounded-md border border-stone-300 bg-white px-3 py-1.5 hover:bg-stone-50" to={prevHref} rel="prev">
            ← Previous
          </Link>
        ) : null}
        {nextHref ? (
          <Link className="rounded-md border border-stone-300 bg-white px-3 py-1.5 hover:bg-stone-50" to={nextHref} rel="next">
            Next →
          </Link>
        ) : null}
      </span>
    </nav>
  );
}
