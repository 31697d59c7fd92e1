import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { clientIp, requireStaff } from "~/web/guards.server";
import { CltvSettingsForm } from "~/components/cltv/settings-form";
import { PageHeader } from "~/components/ui";
import { db, withTenant } from "~/db.server";
import { cltvSettingsFormSchema, decimalToScaled } from "~/web/forms/cltv-settings";
import { getAllCltvSettings } from "~/domain/cltv/all-settings.server";
import { saveCltvModelSettings, saveCltvSettings, savePointsCostBasis } from "~/domain/cltv/settings.server";
import { readSubmission } from "~/lib/forms.server";
import { minorDigits } from "~/lib/money";

export const meta: MetaFunction = () => [{ title: "CLTV · Settings · Perennial admin" }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant, role } = await requireStaff(request, params.merchant, "analyst");
  const settings = await withTenant(db(), merchant.id, (trx) => getAllCltvSettings(trx, merchant.id));
  return { settings, role, currency: merchant.currency, digits: minorDigits(merchant.currency) };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { merchant, user } = await requireStaff(request, params.merchant, "admin");
  const digits = minorDigits(merchant.currency);
  const submission = await readSubmission(request, { schema: cltvSettingsFormSchema(digits) });
  if (submission.status !== "success") return data({ result: submission.reply() }, { status: 400 });
  const v = submission.value;
  const actor = { type: "staff" as const, id: user.id, ip: clientIp(request) };
  await withTenant(db(), merchant.id, async (trx) => {
    await saveCltvSettings(trx, merchant.id, actor, {
      grossMarginBps: decimalToScaled(v.grossMarginPercent, 2),
      acquisitionCostMinor: decimalToScaled(v.acquisitionCost, digits),
      retentionCostMinorPerYear: decimalToScaled(v.retentionCostPerYear, digits),
      annualDiscountRateBps: decimalToScaled(v.discountRatePercent, 2),
    });
    await savePointsCostBasis(trx, merchant.id, actor, v.pointsCostBasis);
    await saveCltvModelSettings(trx, merchant.id, actor, { penalizer: Number(v.penalizer), discretePeriodDays: v.discretePeriodDays ? Number(v.discretePeriodDays) : null });
  });
  return { result: submission.reply() };
}

export default function CltvSettingsPage() {
  const { settings, role, currency, digits } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  return (
    <>
      <PageHeader
        title="Customer lifetime value"
        description="The economics behind every CLTV figure: the margin you keep on a sale, what a member costs you, and how much a dollar next year is worth today."
      />
      <CltvSettingsForm settings={settings} role={role} currency={currency} digits={digits} lastResult={actionData?.result} />
    </>
  );
}
