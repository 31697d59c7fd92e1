import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { clientIp, requireStaff, roleAtLeast } from "~/web/guards.server";
import { AsOf } from "~/components/admin/as-of";
import { TierEditor } from "~/components/tiers/tier-editor";
import { TierJobProgress } from "~/components/tiers/tier-job-progress";
import { Card, PageHeader, Table, Td, Th } from "~/components/ui";
import { db, withTenant } from "~/db.server";
import type { Actor } from "~/domain/audit/audit.server";
import { refreshTierSummaryNow } from "~/domain/tiers/summaries.server";
import { readForm } from "~/lib/forms.server";
import { pinTierAction, saveTiersAction, unpinTierAction } from "~/web/actions/tiers.server";
import { tiersPage } from "~/web/presenters/tiers-page.server";

export const meta: MetaFunction = () => [{ title: "Tiers" }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant, role } = await requireStaff(request, params.merchant, "analyst");
  return { ...(await tiersPage(merchant)), role, canRefresh: roleAtLeast(role, "admin") };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { merchant, user } = await requireStaff(request, params.merchant, "admin");
  const form = await readForm(request);
  const actor: Actor = { type: "staff", id: user.id, ip: clientIp(request) };
  const intent = form.get("intent");
  if (intent === "pin") return pinTierAction(merchant, form, actor);
  if (intent === "unpin") return unpinTierAction(merchant, form, actor);
  // intent=refresh: recompute members per tier now instead of waiting for the summaries job.
  if (intent === "refresh") {
    await withTenant(db(), merchant.id, (trx) => refreshTierSummaryNow(trx, merchant.id));
    return { intent: "refresh" as const };
  }
  return saveTiersAction(merchant, form, actor);
}

export default function TiersPage() {
  const { program, thresholds, members, asOf, timezone, canRefresh, job, role, currency } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const navigation = useNavigation();
  const refreshing = navigation.state === "submitting" && navigation.formData?.get("intent") === "refresh";
  const saveResult = actionData?.intent === "save" ? actionData : undefined;
  return (
    <>
      <PageHeader title="Tiers" description="Membership tiers: who qualifies, what each tier gives, and how members move between them." />
      <div className="space-y-6">
        <TierJobProgress job={job} />
        {program.tiers.length ? (
          <Card title="Members by tier">
            <AsOf asOf={asOf} timezone={timezone} canRefresh={canRefresh} busy={refreshing} />
            <Table caption="Members holding each tier">
              <thead>
                <tr>
                  <Th>Tier</Th>
                  <Th>Threshold</Th>
                  <Th>Earning</Th>
                  <Th className="text-right">Members</Th>
                </tr>
              </thead>
              <tbody>
                {program.tiers.map((t, i) => (
                  <tr key={t.id}>
                    <Td>{t.name}</Td>
                    <Td>{thresholds[i]}</Td>
                    <Td>{t.earningPercent}%</Td>
                    <Td className="text-right tabular-nums">{(members[t.id] ?? 0).toLocaleString("en-US")}</Td>
                  </tr>
                ))}
              </tbody>
            </Table>
          </Card>
        ) : null}
        <TierEditor key={JSON.stringify(program)} program={program} role={role} currency={currency} lastResult={saveResult?.result} saved={saveResult?.saved} />
      </div>
    </>
  );
}
