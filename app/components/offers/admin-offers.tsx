import { Link } from "@remix-run/react";
import { useEffect } from "react";
import { useRevalidator } from "@remix-run/react";
import { formatDateTime } from "~/components/ui/format";
import { Badge, Table, Td, Th } from "~/components/ui";

/** Admin views of offers, gifts and their experiment figures (plain data in). */

export interface OfferRowView {
  id: string;
  title: string;
  status: "active" | "archived";
  startsAt: string;
  endsAt: string;
  claimedCount: number;
  stockTotal: number | null;
  holdoutBps: number;
  benefit: string;
}

export function offerState(o: { status: string; startsAt: string; endsAt: string }, at: string): { label: string; tone: "green" | "amber" | "neutral" } {
  if (o.status === "archived") return { label: "Archived", tone: "neutral" };
  if (at < o.startsAt) return { label: "Scheduled", tone: "amber" };
  if (at >= o.endsAt) return { label: "Ended", tone: "neutral" };
  return { label: "Running", tone: "green" };
}

export function OffersTable({ offers, slug, timezone, at }: { offers: OfferRowView[]; slug: string; timezone: string; at: string }) {
  return (
    <Table caption="Offers">
      <thead>
        <tr>
          <Th>Offer</Th>
          <Th>State</Th>
          <Th>Window</Th>
          <Th className="text-right">Claimed</Th>
          <Th className="text-right">Holdout</Th>
        </tr>
      </thead>
      <tbody className="divide-y divide-stone-100">
        {offers.map((o) => {
          const s = offerState(o, at);
          return (
            <tr key={o.id}>
              <Td>
                <Link to={`/admin/${slug}/offers/${o.id}`} className="font-medium text-brand-700 underline">
                  {o.title}
                </Link>
                <div className="text-xs text-stone-500">{o.benefit}</div>
              </Td>
              <Td>
                <Badge tone={s.tone}>{s.label}</Badge>
              </Td>
              <Td className="text-stone-600">
                {formatDateTime(o.startsAt, timezone)} – {formatDateTime(o.endsAt, timezone)}
              </Td>
              <Td className="text-right tabular-nums">
                {o.claimedCount.toLocaleString("en-US")}
                {o.stockTotal !== null ? ` / ${o.stockTotal.toLocaleString("en-US")}` : ""}
              </Td>
              <Td className="text-right tabular-nums">{o.holdoutBps / 100}%</Td>
            </tr>
          );
        })}
      </tbody>
    </Table>
  );
}

export interface GiftRowView {
  id: string;
  name: string;
  rewardName: string | null;
  status: string;
  total: number;
  done: number;
  failed: number;
  holdoutBps: number;
  createdAt: string;
}

export function GiftsTable({ gifts, slug, timezone }: { gifts: GiftRowView[]; slug: string; timezone: string }) {
  return (
    <Table caption="Surprise gifts">
      <thead>
        <tr>
          <Th>Gift</Th>
          <Th>Status</Th>
          <Th className="text-right">Granted</Th>
          <Th className="text-right">Holdout</Th>
          <Th>Created</Th>
        </tr>
      </thead>
      <tbody className="divide-y divide-stone-100">
        {gifts.map((g) => (
          <tr key={g.id}>
            <Td>
              <Link to={`/admin/${slug}/offers/gifts/${g.id}`} className="font-medium text-brand-700 underline">
                {g.name}
              </Link>
              <div className="text-xs text-stone-500">{g.rewardName ?? "Reward"}</div>
            </Td>
            <Td>
              <Badge tone={g.status === "done" ? "green" : g.status === "failed" ? "red" : "amber"}>{g.status}</Badge>
            </Td>
            <Td className="text-right tabular-nums">
              {g.done.toLocaleString("en-US")} / {g.total.toLocaleString("en-US")}
            </Td>
            <Td className="text-right tabular-nums">{g.holdoutBps / 100}%</Td>
            <Td>{formatDateTime(g.createdAt, timezone)}</Td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}

export interface CountsView {
  eligible: number;
  treated: number;
  control: number;
  seen: number;
  emailed: number;
  claimed: number;
}

export function ExperimentFigures({ counts, claimedLabel = "Claimed" }: { counts: CountsView; claimedLabel?: string }) {
  const items: Array<[string, number]> = [
    ["Eligible", counts.eligible],
    ["Treated", counts.treated],
    ["Held out (control)", counts.control],
    ["Seen", counts.seen],
    ["E-mailed", counts.emailed],
    [claimedLabel, counts.claimed],
  ];
  return (
    <dl className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-6">
      {items.map(([label, n]) => (
        <div key={label} className="rounded-lg border border-stone-200 bg-white px-4 py-3 shadow-sm">
          <dt className="text-xs text-stone-600">{label}</dt>
          <dd className="mt-1 text-xl font-semibold tabular-nums text-stone-900">{n.toLocaleString("en-US")}</dd>
        </div>
      ))}
    </dl>
  );
}

export function ProgressBar({ label, done, total }: { label: string; done: number; total: number }) {
  const pct = total > 0 ? Math.min(100, Math.round((done / total) * 100)) : 100;
  return (
    <div className="space-y-1">
      <div className="flex justify-between text-sm text-stone-700">
        <span>{label}</span>
        <span className="tabular-nums">
          {done.toLocaleString("en-US")} / {total.toLocaleString("en-US")}
        </span>
      </div>
      <div role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} className="h-2 w-full overflow-hidden rounded-full bg-stone-200">
        <div className="h-full bg-brand-600" style={{ width: `${pct}%` }} />
      </div>
    </div>
  );
}

/** Reloads the page's data every `ms` while `active` (a job is running), so progress moves without a refresh. */
export function usePolling(active: boolean, ms = 1500) {
  const { revalidate, state } = useRevalidator();
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => {
      if (state === "idle") revalidate();
    }, ms);
    return () => clearInterval(t);
  }, [active, ms, revalidate, state]);
}
