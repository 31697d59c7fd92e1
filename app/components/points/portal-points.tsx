import { Link, useFetcher } from "@remix-run/react";
import { useState } from "react";
import { PortalLink } from "~/components/portal/portal-shell";
import { Card, cx } from "~/components/ui";
import { pointsLabel } from "~/domain/points/text";
import type { BalanceView, HistoryItem } from "./views";

/** The member's points in the portal: balance, pending points with their dates, the next expiry, and the history. */

export interface HistoryPage {
  /** The cursor this page was asked for (null: the newest). */
  cursor: string | null;
  items: HistoryItem[];
  nextCursor: string | null;
}

export function PointsBalanceCard({
  balance: b,
  programName,
  historyHref,
  title = "Your points",
}: {
  balance: BalanceView;
  programName: string;
  historyHref?: string;
  title?: string;
}) {
  return (
    <Card title={title} actions={historyHref ? <PortalLink to={historyHref}>Points history</PortalLink> : undefined}>
      <dl className="grid grid-cols-1 gap-4 sm:grid-cols-2">
        <div>
          <dt className="text-xs uppercase tracking-wide text-stone-600">Available to spend</dt>
          <dd className="mt-1 text-3xl font-semibold tabular-nums text-stone-900">{b.available.toLocaleString("en-US")}</dd>
        </div>
        <div>
          <dt className="text-xs uppercase tracking-wide text-stone-600">On the way</dt>
          <dd className="mt-1 text-3xl font-semibold tabular-nums text-stone-900">{b.pending.toLocaleString("en-US")}</dd>
        </div>
      </dl>
      {b.pendingLines.length ? (
        <div className="mt-4">
          <p className="text-sm text-stone-700">Points from recent orders wait out the return window before you can spend them:</p>
          <ul className="mt-2 space-y-1 text-sm text-stone-800">
            {b.pendingLines.map((p) => (
              <li key={p.when + p.points}>
                <span className="font-medium">{p.points}</span> {p.when}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {b.owed > 0 ? (
        <p className="mt-4 text-sm text-stone-700">
          You owe {pointsLabel(b.owed)} after a refund of an order whose points you had already used; they come off the next points you earn.
        </p>
      ) : null}
      <p className="mt-4 text-sm text-stone-700">{b.expiry ?? `Your ${programName} points do not expire soon.`}</p>
    </Card>
  );
}

const toneClass = { plus: "text-emerald-800", minus: "text-red-800", neutral: "text-stone-800" } as const;

/**
 * The history, newest first. "Show more" loads the next page in place (from the points page's loader); without
 * JavaScript it is a link to that page.
 */
export function PointsHistory({ slug, first, heading = "Points history" }: { slug: string; first: HistoryPage; heading?: string }) {
  const fetcher = useFetcher<{ history: HistoryPage }>();
  const [more, setMore] = useState<HistoryPage[]>([]);
  const loaded = fetcher.data?.history;
  // Append each fetched page once (keyed by the cursor it answered), during render rather than in an effect.
  if (loaded && fetcher.state === "idle" && !more.some((p) => p.cursor === loaded.cursor) && loaded.cursor !== first.cursor) {
    setMore([...more, loaded]);
  }
  const items = [...first.items, ...more.flatMap((p) => p.items)];
  const next = more.length ? more.at(-1)!.nextCursor : first.nextCursor;
  const nextHref = next ? `/p/${slug}/points?cursor=${encodeURIComponent(next)}` : null;
  return (
    <section aria-labelledby="points-history" className="mt-6">
      <h2 id="points-history" className="mb-3 text-lg font-semibold text-stone-900">
        {heading}
      </h2>
      {items.length ? (
        <ol className="divide-y divide-stone-100 rounded-lg border border-stone-200 bg-white">
          {items.map((i) => (
            <li key={i.id} className="flex flex-wrap items-baseline justify-between gap-x-4 gap-y-1 px-4 py-3 text-sm">
              <span className={cx("font-medium", toneClass[i.tone])}>{i.text}</span>
              <time dateTime={i.iso} className="text-xs text-stone-600">
                {i.date}
              </time>
            </li>
          ))}
        </ol>
      ) : (
        <p className="rounded-lg border border-dashed border-stone-300 bg-white px-4 py-6 text-center text-sm text-stone-700">
          Nothing yet — points you earn with your orders show up here.
        </p>
      )}
      <p className="sr-only" aria-live="polite">
        {more.length ? `${items.length} entries shown` : ""}
      </p>
      {nextHref ? (
        <p className="mt-3 text-center">
          <Link
            to={nextHref}
            onClick={(e) => {
              e.preventDefault();
              fetcher.load(nextHref);
            }}
            aria-busy={fetcher.state !== "idle" || undefined}
            className="inline-flex items-center rounded-md border border-stone-300 bg-white px-4 py-2 text-sm font-medium text-stone-800 hover:bg-stone-50"
          >
            {fetcher.state !== "idle" ? "Loading…" : "Show more"}
          </Link>
        </p>
      ) : null}
    </section>
  );
}
