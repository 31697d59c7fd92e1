import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { requireStaff } from "~/web/guards.server";
import { Badge, EmptyState, PageHeader, Table, Td, Th } from "~/components/ui";
import { db, withTenant } from "~/db.server";
import { listReportPrograms } from "~/domain/incrementality/page.server";
import { signedMajor } from "~/lib/money";

export const meta: MetaFunction = () => [{ title: "Reports · Perennial admin" }];

const KIND_LABEL: Record<string, string> = {
  loyalty_program: "Loyalty program",
  referral_program: "Referral program",
  offer: "Offer",
  surprise_gift: "Surprise gift",
  custom: "Custom experiment",
};

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant } = await requireStaff(request, params.merchant, "analyst");
  const programs = await withTenant(db(), merchant.id, (trx) => listReportPrograms(trx, merchant.id));
  return { slug: merchant.slug, currency: merchant.currency, programs };
}

export default function Reports() {
  const { slug, currency, programs } = useLoaderData<typeof loader>();
  const money = (minor: number, digits: number) => signedMajor(minor, currency, digits);
  return (
    <>
      <PageHeader
        title="Reports"
        description="What each program caused: incremental customer lifetime value against its randomized holdout, net of the program's cost."
        actions={
          <Link to={`/admin/${slug}/experiments`} className="text-sm font-medium text-brand-700 underline">
            Holdouts and experiments
          </Link>
        }
      />
      {programs.length ? (
        <Table caption="Programs and experiments with their incremental CLTV">
          <thead>
            <tr>
              <Th>Program</Th>
              <Th>Kind</Th>
              <Th className="text-right">Members</Th>
              <Th className="text-right">Incremental CLTV per member ({currency})</Th>
              <Th>95% CI</Th>
              <Th className="text-right">p-value</Th>
              <Th className="text-right">In total ({currency})</Th>
            </tr>
          </thead>
          <tbody className="divide-y divide-stone-100">
            {programs.map((p) => (
              <tr key={p.id}>
                <Td>
                  <Link to={p.id} className="font-medium text-brand-700 underline">
                    {p.name}
                  </Link>{" "}
                  {p.status === "stopped" ? <Badge>stopped</Badge> : null}
                </Td>
                <Td>
                  {KIND_LABEL[p.kind] ?? p.kind}
                  {p.assignment === "external" ? " (imported arms)" : ` (${(p.holdoutBps / 100).toFixed(0)}% holdout)`}
                </Td>
                <Td className="text-right tabular-nums">{p.members.toLocaleString("en-US")}</Td>
                <Td className="text-right tabular-nums">{p.headline ? `${money(p.headline.lift, 3)}${p.arms > 2 ? ` (${p.headline.arm})` : ""}` : "—"}</Td>
                <Td className="tabular-nums">{p.headline ? `${money(p.headline.ci95[0], 3)} to ${money(p.headline.ci95[1], 3)}` : "—"}</Td>
                <Td className="text-right tabular-nums">{p.headline && Number.isFinite(p.headline.pValue) ? (p.headline.pValue < 0.0001 ? "< 0.0001" : p.headline.pValue.toFixed(4)) : "—"}</Td>
                <Td className="text-right tabular-nums">{p.headline ? money(p.headline.total, 0) : "—"}</Td>
              </tr>
            ))}
          </tbody>
        </Table>
      ) : (
        <EmptyState
          title="Nothing measured yet"
          action={
            <Link to={`/admin/${slug}/experiments`} className="text-sm font-medium text-brand-700 underline">
              Set up a holdout
            </Link>
          }
        >
          Hold out a share of members from the loyalty or referral program, or import the arms of an experiment run elsewhere, to see what each program caused.
        </EmptyState>
      )}
    </>
  );
}
