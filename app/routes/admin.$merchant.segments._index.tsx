import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { now } from "~/lib/clock.server";
import { requireStaff } from "~/web/guards.server";
import { canAct } from "~/components/admin/use-admin";
import { EmptyState, LinkButton, PageHeader, Table, Td, Th } from "~/components/ui";
import { db, withTenant } from "~/db.server";
import { describeRule } from "~/domain/segments/rule";
import { countSegment, listSegments } from "~/domain/segments/segments.server";

export const meta: MetaFunction = () => [{ title: "Segments" }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant, role } = await requireStaff(request, params.merchant, "analyst");
  const at = now();
  const segments = await withTenant(db(), merchant.id, async (trx) => {
    const list = await listSegments(trx, merchant.id);
    const out = [];
    for (const s of list) out.push({ id: s.id, name: s.name, summary: describeRule(s.rule), count: await countSegment(trx, merchant.id, s.rule, at) });
    return out;
  });
  return { slug: merchant.slug, role, segments };
}

export default function Segments() {
  const { slug, role, segments } = useLoaderData<typeof loader>();
  const action = canAct(role, "admin") ? <LinkButton to={`/admin/${slug}/segments/new`}>New segment</LinkButton> : null;
  return (
    <>
      <PageHeader title="Segments" description="Saved rules over member attributes. Offers and surprise gifts target a segment." actions={action} />
      {segments.length === 0 ? (
        <EmptyState title="No segments yet">Create a segment, for example members with at least 3 orders who have not ordered for 60 days.</EmptyState>
      ) : (
        <Table caption="Segments">
          <thead>
            <tr>
              <Th>Name</Th>
              <Th>Rule</Th>
              <Th className="text-right">Members now</Th>
            </tr>
          </thead>
          <tbody className="divide-y divide-stone-100">
            {segments.map((s) => (
              <tr key={s.id}>
                <Td>
                  <Link to={`/admin/${slug}/segments/${s.id}`} className="font-medium text-brand-700 underline">
                    {s.name}
                  </Link>
                </Td>
                <Td className="max-w-md truncate whitespace-normal text-stone-600">{s.summary}</Td>
                <Td className="text-right tabular-nums">{s.count.toLocaleString("en-US")}</Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </>
  );
}
