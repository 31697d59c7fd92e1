import { Form, Link } from "@remix-run/react";
import { Alert, Badge, Button, Table, Td, Th } from "~/components/ui";
import { IMPORT_COLUMNS, SAMPLE_CSV } from "~/domain/imports/columns";
import { formatDateTime } from "~/components/ui/format";

/** The order-import screens: upload form with the column reference, list of past imports, progress and errors. */

export type ImportStatus = "queued" | "running" | "done" | "failed";

export interface ImportListItem {
  id: string;
  filename: string;
  status: ImportStatus;
  rows_ok: number;
  rows_duplicate: number;
  rows_failed: number;
  members_created: number;
  created_at: string | Date;
}

export interface ImportDetail extends ImportListItem {
  award_points: boolean;
  total_bytes: number;
  processed_bytes: number;
  failure: string | null;
  started_at: string | Date | null;
  finished_at: string | Date | null;
}

const fmt = (n: number) => n.toLocaleString("en-US");
// Td never wraps; long text cells do.
const WRAP = "min-w-64 px-4 py-2 text-stone-800";
const STATUS: Record<ImportStatus, { label: string; tone: "neutral" | "amber" | "green" | "red" }> = {
  queued: { label: "Queued", tone: "neutral" },
  running: { label: "Running", tone: "amber" },
  done: { label: "Done", tone: "green" },
  failed: { label: "Failed", tone: "red" },
};

export function ImportStatusBadge({ status }: { status: ImportStatus }) {
  return <Badge tone={STATUS[status].tone}>{STATUS[status].label}</Badge>;
}

export function ImportUploadForm({ error, busy, maxMb }: { error?: string | null; busy: boolean; maxMb: number }) {
  return (
    <Form method="post" encType="multipart/form-data" className="space-y-4" aria-describedby={error ? "import-upload-error" : undefined}>
      {error ? (
        <div id="import-upload-error" role="alert" className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
          {error}
        </div>
      ) : null}
      <div className="space-y-1">
        <label htmlFor="import-file" className="block text-sm font-medium text-stone-800">
          CSV file
        </label>
        <input
          id="import-file"
          name="file"
          type="file"
          accept=".csv,text/csv"
          required
          aria-describedby="import-file-hint"
          className="block w-full text-sm text-stone-800 file:mr-3 file:rounded-md file:border file:border-stone-300 file:bg-white file:px-3 file:py-1.5 file:text-sm file:font-medium hover:file:bg-stone-50"
        />
        <p id="import-file-hint" className="text-xs text-stone-500">
          Comma-separated, UTF-8, a header row first; up to {maxMb} MB. Larger files: <code>npm run cli -- import orders</code>.
        </p>
      </div>
      <div className="flex items-start gap-2">
        <input id="import-award" name="awardPoints" type="checkbox" value="on" className="mt-1 size-4" aria-describedby="import-award-hint" />
        <div>
          <label htmlFor="import-award" className="text-sm font-medium text-stone-800">
            Award points for these orders
          </label>
          <p id="import-award-hint" className="text-xs text-stone-500">
            Off by default: historical orders only feed the CLTV models. When on, each newly imported order earns points by your earning rules (once, even if you import the file again).
          </p>
        </div>
      </div>
      <Button type="submit" busy={busy}>
        {busy ? "Uploading…" : "Upload and import"}
      </Button>
    </Form>
  );
}

export function ImportColumnsHelp({ currency }: { currency: string }) {
  return (
    <div className="space-y-3 text-sm text-stone-700">
      <p>
        Columns are found by their header, in any order and any letter case; other columns are ignored. Each row needs a customer id or an
        e-mail (or both). Importing the same file again changes nothing: orders already imported are counted as duplicates.
      </p>
      <Table caption="Columns an order import understands">
        <thead>
          <tr>
            <Th>Column</Th>
            <Th>Headers accepted</Th>
            <Th>Required</Th>
            <Th>What it holds</Th>
          </tr>
        </thead>
        <tbody className="divide-y divide-stone-100">
          {IMPORT_COLUMNS.map((c) => (
            <tr key={c.field}>
              <Td className="font-medium">{c.label}</Td>
              <Td>
                <code className="text-xs">{c.aliases.join(", ")}</code>
              </Td>
              <Td>{c.required === "yes" ? "yes" : c.required === "no" ? "no" : "id or e-mail"}</Td>
              <td className={WRAP}>{c.field === "currency" ? `${c.help} (${currency})` : c.help}</td>
            </tr>
          ))}
        </tbody>
      </Table>
      <div>
        <p className="font-medium text-stone-800">Example</p>
        <pre className="mt-1 overflow-x-auto rounded-md bg-stone-900 p-3 text-xs text-stone-100" tabIndex={0} aria-label="Example CSV file">
          {SAMPLE_CSV}
        </pre>
      </div>
    </div>
  );
}

export function ImportsTable({ rows, slug, timezone }: { rows: ImportListItem[]; slug: string; timezone: string }) {
  return (
    <Table caption="Past imports">
      <thead>
        <tr>
          <Th>File</Th>
          <Th>Started</Th>
          <Th>Status</Th>
          <Th className="text-right">Imported</Th>
          <Th className="text-right">Duplicates</Th>
          <Th className="text-right">Failed</Th>
          <Th className="text-right">New members</Th>
        </tr>
      </thead>
      <tbody className="divide-y divide-stone-100">
        {rows.map((r) => (
          <tr key={r.id}>
            <Td>
              <Link to={`/admin/${slug}/imports/${r.id}`} className="font-medium text-brand-700 underline">
                {r.filename}
              </Link>
            </Td>
            <Td>{formatDateTime(r.created_at, timezone)}</Td>
            <Td>
              <ImportStatusBadge status={r.status} />
            </Td>
            <Td className="text-right tabular-nums">{fmt(r.rows_ok)}</Td>
            <Td className="text-right tabular-nums">{fmt(r.rows_duplicate)}</Td>
            <Td className="text-right tabular-nums">{fmt(r.rows_failed)}</Td>
            <Td className="text-right tabular-nums">{fmt(r.members_created)}</Td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}

export function ImportProgressPanel({ imp, timezone }: { imp: ImportDetail; timezone: string }) {
  const pct = imp.status === "done" ? 100 : imp.total_bytes ? Math.floor((imp.processed_bytes / imp.total_bytes) * 100) : 0;
  const rows = imp.rows_ok + imp.rows_duplicate + imp.rows_failed;
  const label = imp.status === "queued" ? "Waiting for the worker…" : imp.status === "running" ? `${pct}% read, ${fmt(rows)} rows so far` : STATUS[imp.status].label;
  return (
    <div className="space-y-4">
      <div>
        <div className="mb-1 flex items-center justify-between text-sm">
          <span className="font-medium text-stone-800" id="import-progress-label">
            Progress
          </span>
          <span className="text-stone-600" aria-live="polite">
            {label}
          </span>
        </div>
        <div
          role="progressbar"
          aria-labelledby="import-progress-label"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={pct}
          aria-valuetext={`${pct}%`}
          className="h-3 w-full overflow-hidden rounded-full bg-stone-200"
        >
          <div className={imp.status === "failed" ? "h-full bg-red-600" : "h-full bg-brand-600 transition-[width] duration-500"} style={{ width: `${pct}%` }} />
        </div>
      </div>
      {imp.failure ? <Alert tone="error" title="The import stopped">{imp.failure}</Alert> : null}
      <dl className="grid grid-cols-2 gap-4 sm:grid-cols-4">
        {[
          ["Imported", imp.rows_ok],
          ["Duplicates (already there)", imp.rows_duplicate],
          ["Failed rows", imp.rows_failed],
          ["New members", imp.members_created],
        ].map(([k, v]) => (
          <div key={k as string} className="rounded-md border border-stone-200 bg-white px-4 py-3">
            <dt className="text-xs text-stone-600">{k}</dt>
            <dd className="text-xl font-semibold tabular-nums text-stone-900">{fmt(v as number)}</dd>
          </div>
        ))}
      </dl>
      <p className="text-xs text-stone-600">
        Uploaded {formatDateTime(imp.created_at, timezone)}
        {imp.finished_at ? ` · finished ${formatDateTime(imp.finished_at, timezone)}` : ""} · points {imp.award_points ? "awarded for new orders" : "not awarded"}
      </p>
    </div>
  );
}

export function ImportErrorsTable({ errors, total }: { errors: Array<{ line: number; column: string | null; reason: string }>; total: number }) {
  return (
    <>
      <Table caption="Rows that were not imported">
        <thead>
          <tr>
            <Th>Line</Th>
            <Th>Column</Th>
            <Th>Reason</Th>
          </tr>
        </thead>
        <tbody className="divide-y divide-stone-100">
          {errors.map((e, i) => (
            <tr key={`${e.line}-${i}`}>
              <Td className="tabular-nums">{e.line}</Td>
              <Td>{e.column ?? "—"}</Td>
              <td className={WRAP}>{e.reason}</td>
            </tr>
          ))}
        </tbody>
      </Table>
      {total > errors.length ? <p className="mt-2 text-xs text-stone-600">Showing the first {fmt(errors.length)} errors; the download has them all.</p> : null}
    </>
  );
}
