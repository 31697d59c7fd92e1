import { useRevalidator } from "@remix-run/react";
import { useEffect } from "react";
import { Alert } from "~/components/ui";

export interface TierJobProgressProps {
  job: { status: "queued" | "running" | "done" | "failed"; total: number; done: number; changed: number; failed: number } | null;
}

/** The background re-evaluation after a definition change; the page reloads its data every 1.5 s until it is done. */
export function TierJobProgress({ job }: TierJobProgressProps) {
  const revalidator = useRevalidator();
  const active = job?.status === "queued" || job?.status === "running";
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => {
      if (revalidator.state === "idle") revalidator.revalidate();
    }, 1500);
    return () => clearInterval(t);
  }, [active, revalidator]);
  if (!job) return null;
  if (job.status === "failed") return <Alert tone="error" title="Re-evaluation failed">It is retried automatically; the nightly run also re-evaluates every member.</Alert>;
  if (!active) {
    return (
      <p className="text-sm text-stone-600" role="status">
        Last re-evaluation: {job.done.toLocaleString("en-US")} members, {job.changed.toLocaleString("en-US")} changed tier
        {job.failed ? `, ${job.failed} failed (retried tonight)` : ""}.
      </p>
    );
  }
  const pct = job.total === 0 ? 0 : Math.floor((job.done * 100) / job.total);
  return (
    <div className="rounded-md border border-sky-200 bg-sky-50 p-3" role="status">
      <p className="text-sm font-medium text-stone-900">
        Re-evaluating members: {job.done.toLocaleString("en-US")} of {job.total.toLocaleString("en-US")}
        {job.status === "queued" ? " (waiting for the worker)" : ""}
      </p>
      <div className="mt-2 h-2 w-full rounded bg-white" role="progressbar" aria-label="Re-evaluation progress" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
        <div className="h-2 rounded bg-brand-500" style={{ width: `${pct}%` }} />
      </div>
    </div>
  );
}
