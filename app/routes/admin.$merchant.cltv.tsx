import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { clientIp, requireStaff, roleAtLeast } from "~/web/guards.server";
import { AsOf } from "~/components/admin/as-of";
import { CltvReportView } from "~/components/cltv/report";
import { Alert, PageHeader } from "~/components/ui";
import { db, withTenant } from "~/db.server";
import { recordAudit } from "~/domain/audit/audit.server";
import { fitAndScoreMerchant } from "~/domain/cltv/score.server";
import { cltvReportPage, refreshCltvSummary } from "~/domain/cltv/summaries.server";
import { domainErrorData } from "~/web/form-action.server";
import { readForm } from "~/lib/forms.server";

export const meta: MetaFunction = () => [{ title: "Customer lifetime value · Perennial admin" }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant, role } = await requireStaff(request, params.merchant, "analyst");
  const { report, asOf } = await withTenant(db(), merchant.id, (trx) => cltvReportPage(trx, merchant.id, merchant.currency));
  return { report, asOf: asOf.toISOString(), timezone: merchant.timezone, slug: merchant.slug, canRefit: roleAtLeast(role, "admin") };
}

/** intent=refit: fit and rescore now instead of waiting for the nightly run; intent=refresh: recompute the page's summary. */
export async function action({ request, params }: ActionFunctionArgs) {
  const { merchant, user } = await requireStaff(request, params.merchant, "admin");
  const form = await readForm(request);
  if (form.get("intent") === "refresh") {
    await withTenant(db(), merchant.id, (trx) => refreshCltvSummary(trx, merchant.id, merchant.currency));
    return { ok: true, message: "Figures recomputed." };
  }
  if (form.get("intent") !== "refit") return data({ ok: false, message: "Unknown action" }, { status: 400 });
  try {
    const r = await withTenant(db(), merchant.id, async (trx) => {
      const run = await fitAndScoreMerchant(trx, merchant.id);
      await recordAudit(trx, merchant.id, { type: "staff", id: user.id, ip: clientIp(request) }, "cltv.refit", { type: "cltv_model", id: run.modelId }, { after: { scoredMembers: run.scoredMembers } });
      return run;
    });
    return { ok: true, message: `Model refitted; ${r.scoredMembers.toLocaleString("en-US")} members rescored.` };
  } catch (err) {
    return domainErrorData(err, (e) => ({ ok: false, message: e.message }), { only: ["insufficient_data"] });
  }
}

export default function CltvPage() {
  const { report, asOf, timezone, slug, canRefit } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  return (
    <>
      <PageHeader
        title="Customer lifetime value"
        description="What each member is expected to be worth: BG/NBD for repeat purchases and Gamma-Gamma for spend, fitted on your orders every night, next to the classic formulas."
      />
      {result ? (
        <div className="mb-4">
          <Alert tone={result.ok ? "success" : "error"}>{result.message}</Alert>
        </div>
      ) : null}
      <AsOf asOf={asOf} timezone={timezone} canRefresh={canRefit} busy={busy} />
      <CltvReportView report={report} slug={slug} canRefit={canRefit} busy={busy} />
    </>
  );
}
