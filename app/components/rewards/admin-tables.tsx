import { Form, Link } from "@remix-run/react";
import { Badge, Button, EmptyState, LinkButton, Table, Td, Th } from "~/components/ui";

/** The admin rewards page's tables: the catalog with stock and liability, and the redemption log. */

export interface CatalogRow {
  id: string;
  name: string;
  summary: string;
  pointsCost: number;
  status: "active" | "archived";
  stock: string;
  redeemed: number;
  outstanding: number;
  liability: string;
}

export interface LogRow {
  id: string;
  when: string;
  member: string;
  memberHref: string;
  reward: string;
  source: string;
  points: number;
  code: string | null;
  status: string;
  giftAwaiting: boolean;
}

const STATUS_TONE: Record<string, "green" | "amber" | "red" | "neutral"> = { issued: "green", pending: "amber", void: "red", used: "neutral", fulfilled: "neutral" };

export function RewardsCatalogTable({ rows, canEdit }: { rows: CatalogRow[]; canEdit: boolean }) {
  if (rows.length === 0) {
    return (
      <EmptyState title="No rewards yet" action={canEdit ? <LinkButton to="new">Create the first reward</LinkButton> : undefined}>
        Add discounts, free products, store credit or gifts that members can redeem with their points.
      </EmptyState>
    );
  }
  return (
    <Table caption="Reward catalog: stock and liability by reward">
      <thead>
        <tr>
          <Th>Reward</Th>
          <Th className="text-right">Points</Th>
          <Th>Stock</Th>
          <Th className="text-right">Redeemed</Th>
          <Th className="text-right">Outstanding</Th>
          <Th className="text-right">Liability</Th>
          <Th>Status</Th>
          {canEdit ? <Th>Actions</Th> : null}
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.id}>
            <Td>
              {canEdit ? (
                <Link to={r.id} className="font-medium text-brand-700 hover:underline">
                  {r.name}
                </Link>
              ) : (
                <span className="font-medium">{r.name}</span>
              )}
              <span className="block text-xs text-stone-600">{r.summary}</span>
            </Td>
            <Td className="text-right tabular-nums">{r.pointsCost.toLocaleString("en-US")}</Td>
            <Td>{r.stock}</Td>
            <Td className="text-right tabular-nums">{r.redeemed}</Td>
            <Td className="text-right tabular-nums">{r.outstanding}</Td>
            <Td className="text-right tabular-nums">{r.liability}</Td>
            <Td>
              <Badge tone={r.status === "active" ? "green" : "neutral"}>{r.status === "active" ? "Active" : "Archived"}</Badge>
            </Td>
            {canEdit ? (
              <Td>
                <Form method="post">
                  <input type="hidden" name="rewardId" value={r.id} />
                  <Button type="submit" name="intent" value={r.status === "active" ? "archive" : "restore"} variant="secondary" size="sm">
                    {r.status === "active" ? `Archive ${r.name}` : `Restore ${r.name}`}
                  </Button>
                </Form>
              </Td>
            ) : null}
          </tr>
        ))}
      </tbody>
    </Table>
  );
}

export function RedemptionLogTable({ rows, canEdit }: { rows: LogRow[]; canEdit: boolean }) {
  return (
    <section aria-labelledby="redemption-log">
      <h2 id="redemption-log" className="mb-3 text-lg font-semibold text-stone-900">
        Redemption log
      </h2>
      {rows.length === 0 ? (
        <EmptyState title="No redemptions yet">Redemptions and granted rewards appear here as they happen.</EmptyState>
      ) : (
        <Table caption="Latest 50 redemptions and grants">
          <thead>
            <tr>
              <Th>When</Th>
              <Th>Member</Th>
              <Th>Reward</Th>
              <Th>Source</Th>
              <Th className="text-right">Points</Th>
              <Th>Code</Th>
              <Th>Status</Th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id}>
                <Td>{r.when}</Td>
                <Td>
                  <Link to={r.memberHref} className="text-brand-700 hover:underline">
                    {r.member}
                  </Link>
                </Td>
                <Td>{r.reward}</Td>
                <Td>{r.source}</Td>
                <Td className="text-right tabular-nums">{r.points.toLocaleString("en-US")}</Td>
                <Td>{r.code ? <code className="font-mono text-xs">{r.code}</code> : "—"}</Td>
                <Td>
                  <Badge tone={STATUS_TONE[r.status] ?? "neutral"}>{r.giftAwaiting ? "To fulfil" : r.status}</Badge>
                  {r.giftAwaiting && canEdit ? (
                    <Form method="post" className="mt-1">
                      <input type="hidden" name="redemptionId" value={r.id} />
                      <Button type="submit" name="intent" value="fulfil" size="sm" variant="secondary">
                        Mark fulfilled
                      </Button>
                    </Form>
                  ) : null}
                </Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </section>
  );
}
