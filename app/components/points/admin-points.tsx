import { getFormProps, useForm, type SubmissionResult } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { Form, Link, useNavigation } from "@remix-run/react";
import { Button, Card, EmptyState, FormErrors, Table, Td, TextAreaField, TextField, cx } from "~/components/ui";
import { AdjustPointsSchema, ADJUST_MAX_POINTS } from "~/web/forms/points";
import { pointsLabel } from "~/domain/points/text";
import type { BalanceView, LedgerRow } from "./views";

/** The points part of the admin's member page: balance and debt, the manual adjustment form, and the ledger. */

function Row({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="flex justify-between gap-4 py-1.5 text-sm">
      <dt className="text-stone-600">{label}</dt>
      <dd className="text-right tabular-nums text-stone-900">{children}</dd>
    </div>
  );
}

export function PointsSummaryCard({ balance: b, canForgive, forgiveKey }: { balance: BalanceView; canForgive: boolean; forgiveKey: string }) {
  const nav = useNavigation();
  return (
    <Card title="Points">
      <dl className="divide-y divide-stone-100">
        <Row label="Available">{b.available.toLocaleString("en-US")}</Row>
        <Row label="Pending">
          {b.pending.toLocaleString("en-US")}
          {b.pendingLines.map((p) => (
            <span key={p.when + p.points} className="block text-xs text-stone-600">
              {p.points} {p.when}
            </span>
          ))}
        </Row>
        <Row label="Owed after refunds (clawback)">
          <span className={b.owed > 0 ? "font-semibold text-red-800" : undefined}>{b.owed.toLocaleString("en-US")}</span>
        </Row>
        <Row label="Next expiry">{b.expiry ?? "—"}</Row>
        <Row label="Earned (lifetime)">{b.lifetimeEarned.toLocaleString("en-US")}</Row>
        <Row label="Redeemed (lifetime)">{b.lifetimeRedeemed.toLocaleString("en-US")}</Row>
        <Row label="Last activity">{b.lastActivity ?? "—"}</Row>
      </dl>
      {b.owed > 0 ? (
        <div className="mt-4 rounded-md border border-amber-200 bg-amber-50 p-3 text-sm text-amber-900">
          <p>
            This member owes {pointsLabel(b.owed)}: an order was refunded after its points were spent. Their next earnings settle the debt first
            {canForgive ? ", or you can forgive it" : ""}.
          </p>
          {canForgive ? (
            <Form method="post" className="mt-2">
              <input type="hidden" name="intent" value="forgive" />
              <input type="hidden" name="key" value={forgiveKey} />
              <Button type="submit" variant="secondary" size="sm" busy={nav.formData?.get("intent") === "forgive"}>
                Forgive {pointsLabel(b.owed)}
              </Button>
            </Form>
          ) : null}
        </div>
      ) : null}
    </Card>
  );
}

export function AdjustPointsCard({ formKey, lastResult }: { formKey: string; lastResult?: SubmissionResult<string[]> }) {
  const nav = useNavigation();
  const [form, fields] = useForm({
    id: "adjust-points",
    lastResult: nav.state === "idle" ? lastResult : undefined,
    onValidate: ({ formData }) => parseWithZod(formData, { schema: AdjustPointsSchema }),
    shouldValidate: "onBlur",
    shouldRevalidate: "onInput",
  });
  return (
    <Card title="Adjust points">
      <Form method="post" {...getFormProps(form)} className="space-y-4">
        <input type="hidden" name="intent" value="adjust" />
        {/* Keyed so the fresh key that comes with the page after a success replaces the used one. */}
        <input key={formKey} type="hidden" name="key" defaultValue={formKey} />
        <FormErrors errors={form.errors} id={form.errorId} />
        <TextField
          id={fields.points.id}
          name={fields.points.name}
          key={fields.points.key}
          defaultValue={fields.points.initialValue}
          type="number"
          inputMode="numeric"
          required
          label="Points"
          step={1}
          min={-ADJUST_MAX_POINTS}
          max={ADJUST_MAX_POINTS}
          errors={fields.points.errors}
          hint="A positive number adds points, available at once and expiring like earned points; a negative one removes available points."
        />
        <TextField
          id={fields.reason.id}
          name={fields.reason.name}
          key={fields.reason.key}
          defaultValue={fields.reason.initialValue}
          required
          label="Reason"
          maxLength={200}
          errors={fields.reason.errors}
          hint="Shown to the member in their points history, e.g. “Goodwill for a late delivery”."
        />
        <TextAreaField
          id={fields.note.id}
          name={fields.note.name}
          key={fields.note.key}
          defaultValue={fields.note.initialValue}
          label="Note (optional, staff only)"
          rows={2}
          maxLength={2000}
          errors={fields.note.errors}
        />
        <Button type="submit" busy={nav.formData?.get("intent") === "adjust"}>
          Record adjustment
        </Button>
      </Form>
    </Card>
  );
}

const KIND_LABEL: Record<string, string> = {
  earn: "Earned",
  release: "Released",
  spend: "Spent",
  expire: "Expired",
  reverse: "Reversed",
  restore: "Restored",
  adjust: "Adjusted",
  forgive: "Forgiven",
};

export function LedgerTable({ rows, newerHref, olderHref }: { rows: LedgerRow[]; newerHref: string | null; olderHref: string | null }) {
  return (
    <section className="mt-8" aria-labelledby="member-ledger">
      <h2 id="member-ledger" className="mb-3 text-lg font-semibold text-stone-900">
        Points ledger
      </h2>
      {rows.length ? (
        <Table caption="Points ledger, newest first, with the balances after each entry">
          <thead>
            <tr>
              <th scope="col" className="bg-stone-50 px-4 py-2 text-left text-xs font-semibold uppercase tracking-wide text-stone-600">
                Date
              </th>
              <th scope="col" className="bg-stone-50 px-4 py-2 text-left text-xs font-semibold uppercase tracking-wide text-stone-600">
                Entry
              </th>
              {["Available", "Pending", "Owed", "Available after", "Pending after"].map((h) => (
                <th key={h} scope="col" className="bg-stone-50 px-4 py-2 text-right text-xs font-semibold uppercase tracking-wide text-stone-600">
                  {h}
                </th>
              ))}
            </tr>
          </thead>
          <tbody className="divide-y divide-stone-100">
            {rows.map((r) => (
              <tr key={r.id}>
                <Td>
                  <time dateTime={r.iso}>{r.at}</time>
                </Td>
                <td className="min-w-64 px-4 py-2 text-stone-800">
                  <span className="font-medium">{KIND_LABEL[r.kind] ?? r.kind}</span> · {r.description}
                  <span className="block text-xs text-stone-600">
                    by {r.by}
                    {r.reason ? ` · ${r.reason}` : ""}
                    {r.note ? ` · Note: ${r.note}` : ""}
                  </span>
                </td>
                {[r.available, r.pending, r.owed].map((v, i) => {
                  // More available or pending points is good news; more debt ("Owed", the last column) is not.
                  const good = v.startsWith("+") !== (i === 2);
                  return (
                    <Td key={i} className={cx("text-right tabular-nums", v ? (good ? "text-emerald-800" : "text-red-800") : undefined)}>
                      {v}
                    </Td>
                  );
                })}
                <Td className="text-right font-medium tabular-nums">{r.availableAfter}</Td>
                <Td className="text-right tabular-nums">{r.pendingAfter}</Td>
              </tr>
            ))}
          </tbody>
        </Table>
      ) : (
        <EmptyState title="No points yet">Earnings, spends, refunds and adjustments of this member appear here.</EmptyState>
      )}
      {newerHref || olderHref ? (
        <nav className="mt-4 flex justify-end gap-2 text-sm" aria-label="Ledger pages">
          {newerHref ? (
            <Link className="rounded-md border border-stone-300 bg-white px-3 py-1.5 hover:bg-stone-50" to={newerHref} preventScrollReset>
              Newest entries
            </Link>
          ) : null}
          {olderHref ? (
            <Link className="rounded-md border border-stone-300 bg-white px-3 py-1.5 hover:bg-stone-50" to={olderHref} rel="next" preventScrollReset>
              Older entries →
            </Link>
          ) : null}
        </nav>
      ) : null}
    </section>
  );
}
