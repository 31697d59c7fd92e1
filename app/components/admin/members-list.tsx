import { Form, Link } from "@remix-run/react";
import { Badge, Button, LinkButton, SelectField, Table, Td, TextField, Th } from "~/components/ui";
import { formatMoney } from "~/lib/money";
import { formatDate, statusTone } from "~/components/ui/format";
import { adminPath } from "./use-admin";

export interface MemberFilterValues {
  q?: string;
  status?: string;
  from?: string;
  to?: string;
  orders?: string;
}

/** The list's search and filters: a GET form, so every view is a shareable URL and works without JavaScript. */
export function MemberFilters({ filters }: { filters: MemberFilterValues }) {
  return (
    <Form method="get" role="search" aria-label="Search and filter members" className="mb-5 rounded-lg border border-stone-200 bg-white p-4">
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-6">
        <TextField
          className="lg:col-span-2"
          label="Search"
          name="q"
          type="search"
          defaultValue={filters.q ?? ""}
          maxLength={200}
          placeholder="E-mail, name or external id"
        />
        <SelectField
          label="Status"
          name="status"
          defaultValue={filters.status ?? ""}
          options={[
            { value: "", label: "Any" },
            { value: "active", label: "Active" },
            { value: "blocked", label: "Blocked" },
            { value: "deleted", label: "Deleted" },
          ]}
        />
        <TextField label="Joined from" name="from" type="date" defaultValue={filters.from ?? ""} />
        <TextField label="Joined to" name="to" type="date" defaultValue={filters.to ?? ""} />
        <SelectField
          label="Has orders"
          name="orders"
          defaultValue={filters.orders ?? ""}
          options={[
            { value: "", label: "Either" },
            { value: "yes", label: "Yes" },
            { value: "no", label: "No" },
          ]}
        />
      </div>
      <div className="mt-3 flex gap-2">
        <Button type="submit">Apply</Button>
        <LinkButton to="." variant="ghost">
          Clear
        </LinkButton>
      </div>
    </Form>
  );
}

export interface MemberRowView {
  id: string;
  email: string;
  name: string | null;
  status: string;
  created_at: Date | string;
  order_count: number;
  total_spend_minor: number;
  last_order_at: Date | string | null;
}

export function MemberTable({ rows, slug, currency, timezone }: { rows: MemberRowView[]; slug: string; currency: string; timezone: string }) {
  return (
    <Table caption="Members">
      <thead>
        <tr>
          <Th>Member</Th>
          <Th>Status</Th>
          <Th>Joined</Th>
          <Th className="text-right">Orders</Th>
          <Th className="text-right">Total spend</Th>
          <Th>Last order</Th>
        </tr>
      </thead>
      <tbody className="divide-y divide-stone-100">
        {rows.map((m) => (
          <tr key={m.id} className="hover:bg-stone-50">
            <Td>
              <Link to={adminPath(slug, `members/${m.id}`)} className="font-medium text-stone-900 underline-offset-2 hover:underline">
                {m.name || m.email}
              </Link>
              {m.name ? <span className="block text-xs text-stone-500">{m.email}</span> : null}
            </Td>
            <Td>
              <Badge tone={statusTone(m.status)}>{m.status}</Badge>
            </Td>
            <Td>{formatDate(m.created_at, timezone)}</Td>
            <Td className="text-right tabular-nums">{m.order_count.toLocaleString("en-US")}</Td>
            <Td className="text-right tabular-nums">{formatMoney(m.total_spend_minor, currency)}</Td>
            <Td>{formatDate(m.last_order_at, timezone)}</Td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}
