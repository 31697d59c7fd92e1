import { Badge, Card, Table, Td, Th } from "~/components/ui";

/** The member's rewards on the admin member page: what they redeemed or were given, with codes and states. */
export function MemberRewardsPanel({ rows }: { rows: Array<{ id: string; name: string; source: string; points: number; code: string | null; state: string; when: string }> }) {
  return (
    <Card title="Rewards" className="mt-6">
      {rows.length === 0 ? (
        <p className="text-sm text-stone-600">No rewards redeemed or received yet.</p>
      ) : (
        <Table caption="The member's latest 20 rewards">
          <thead>
            <tr>
              <Th>When</Th>
              <Th>Reward</Th>
              <Th>Source</Th>
              <Th className="text-right">Points</Th>
              <Th>Code</Th>
              <Th>State</Th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id}>
                <Td>{r.when}</Td>
                <Td>{r.name}</Td>
                <Td>{r.source}</Td>
                <Td className="text-right tabular-nums">{r.points.toLocaleString("en-US")}</Td>
                <Td>{r.code ? <code className="font-mono text-xs">{r.code}</code> : "—"}</Td>
                <Td>
                  <Badge tone={r.state === "unused" ? "green" : r.state === "void" || r.state === "expired" ? "red" : "neutral"}>{r.state}</Badge>
                </Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </Card>
  );
}
