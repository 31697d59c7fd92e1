import { Form, useNavigation } from "@remix-run/react";
import { Badge, Button, Card, EmptyState, Table, Td, Th } from "~/components/ui";
import { formatMoney } from "~/lib/money";
import type { StaffRole } from "~db/schema";
import { formatDate, formatDateTime, formatDay, statusTone } from "~/components/ui/format";
import { canAct } from "./use-admin";

type D = Date | string;

export interface ProfileView {
  member: { id: string; email: string; name: string | null; external_id: string | null; birthday: string | null; status: string; created_at: D };
  orders: { count: number; totalMinor: number; averageMinor: number | null; firstAt: D | null; lastAt: D | null };
}

function Row({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="flex justify-between gap-4 py-1.5 text-sm">
      <dt className="text-stone-600">{label}</dt>
      <dd className="text-right text-stone-900">{children}</dd>
    </div>
  );
}

export function MemberSummary({ profile, currency, timezone }: { profile: ProfileView; currency: string; timezone: string }) {
  const { member: m, orders: o } = profile;
  return (
    <>
      <Card title="Profile">
        <dl className="divide-y divide-stone-100">
          <Row label="Name">{m.name || "—"}</Row>
          <Row label="E-mail">{m.email}</Row>
          <Row label="External id">{m.external_id ? <code className="text-xs">{m.external_id}</code> : "—"}</Row>
          <Row label="Birthday">{formatDay(m.birthday)}</Row>
          <Row label="Status">
            <Badge tone={statusTone(m.status)}>{m.status}</Badge>
          </Row>
          <Row label="Joined">{formatDate(m.created_at, timezone)}</Row>
          <Row label="Member id">
            <code className="text-xs">{m.id}</code>
          </Row>
        </dl>
      </Card>
      <Card title="Orders">
        <dl className="divide-y divide-stone-100">
          <Row label="Orders">{o.count.toLocaleString("en-US")}</Row>
          <Row label="Total spend">{formatMoney(o.totalMinor, currency)}</Row>
          <Row label="Average order">{o.averageMinor === null ? "—" : formatMoney(o.averageMinor, currency)}</Row>
          <Row label="First order">{formatDate(o.firstAt, timezone)}</Row>
          <Row label="Last order">{formatDate(o.lastAt, timezone)}</Row>
        </dl>
      </Card>
    </>
  );
}

export function MemberOrders({
  orders,
  total,
  timezone,
}: {
  orders: Array<{ id: string; source: string; external_order_id: string; amount_minor: number; currency: string; occurred_at: D }>;
  total: number;
  timezone: string;
}) {
  return (
    <section className="mt-8" aria-labelledby="member-orders">
      <h2 id="member-orders" className="mb-3 text-lg font-semibold text-stone-900">
        Latest orders{total > orders.length ? <span className="ml-2 text-sm font-normal text-stone-500">({orders.length} of {total.toLocaleString("en-US")})</span> : null}
      </h2>
      {orders.length ? (
        <Table caption="Latest orders">
          <thead>
            <tr>
              <Th>Date</Th>
              <Th>Order</Th>
              <Th>Source</Th>
              <Th className="text-right">Amount</Th>
            </tr>
          </thead>
          <tbody className="divide-y divide-stone-100">
            {orders.map((o) => (
              <tr key={o.id}>
                <Td>{formatDateTime(o.occurred_at, timezone)}</Td>
                <Td>
                  <code className="text-xs">{o.external_order_id}</code>
                </Td>
                <Td>{o.source}</Td>
                <Td className="text-right tabular-nums">{formatMoney(o.amount_minor, o.currency)}</Td>
              </tr>
            ))}
          </tbody>
        </Table>
      ) : (
        <EmptyState title="No orders yet" />
      )}
    </section>
  );
}

const ACTION_LABEL: Record<string, string> = {
  "member.blocked": "Blocked",
  "member.unblocked": "Unblocked",
  "points.adjusted": "Points adjusted",
  "points.clawback_forgiven": "Clawback forgiven",
};

/** An audit entry's change in words ("status: \"active\" → \"blocked\""), built by the loader: the raw documents stay on the server. */
export function describeChange(before: unknown, after: unknown): string | null {
  if (!after || typeof after !== "object") return null;
  const keys = Object.keys(after as object);
  if (!keys.length) return null;
  return keys
    .map((k) => {
      const b = before && typeof before === "object" ? (before as Record<string, unknown>)[k] : undefined;
      const a = (after as Record<string, unknown>)[k];
      return b === undefined ? `${k}: ${JSON.stringify(a)}` : `${k}: ${JSON.stringify(b)} → ${JSON.stringify(a)}`;
    })
    .join(", ");
}

export function AuditTrail({
  entries,
  timezone,
}: {
  entries: Array<{ id: string; action: string; actor_type: string; actor_id: string | null; actor_name: string | null; change: string | null; created_at: D }>;
  timezone: string;
}) {
  return (
    <section className="mt-8" aria-labelledby="member-audit">
      <h2 id="member-audit" className="mb-3 text-lg font-semibold text-stone-900">
        Audit trail
      </h2>
      {entries.length ? (
        <ol className="divide-y divide-stone-100 rounded-lg border border-stone-200 bg-white">
          {entries.map((e) => {
            const change = e.change;
            return (
              <li key={e.id} className="px-4 py-3 text-sm">
                <p>
                  <span className="font-medium text-stone-900">{ACTION_LABEL[e.action] ?? e.action}</span>
                  <span className="text-stone-600">
                    {" "}
                    by {e.actor_type === "staff" ? (e.actor_name ?? "a former staff member") : e.actor_type === "api_key" ? `API key ${e.actor_id ?? ""}` : e.actor_type}
                  </span>
                </p>
                <p className="text-xs text-stone-500">
                  <time dateTime={new Date(e.created_at).toISOString()}>{formatDateTime(e.created_at, timezone)}</time>
                  {change ? ` · ${change}` : null}
                </p>
              </li>
            );
          })}
        </ol>
      ) : (
        <EmptyState title="Nothing recorded yet">Changes made to this member by staff, the API or the member appear here.</EmptyState>
      )}
    </section>
  );
}

/** Block/unblock, for admins and owners only (the action enforces it again). */
export function BlockControl({ status, role }: { status: string; role: StaffRole }) {
  const nav = useNavigation();
  if (status === "deleted" || !canAct(role, "admin")) return null;
  const blocking = status !== "blocked";
  return (
    <Form method="post">
      <input type="hidden" name="intent" value={blocking ? "block" : "unblock"} />
      <Button type="submit" variant={blocking ? "danger" : "secondary"} busy={nav.state === "submitting"}>
        {blocking ? "Block member" : "Unblock member"}
      </Button>
    </Form>
  );
}
