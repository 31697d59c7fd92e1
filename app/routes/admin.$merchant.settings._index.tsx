import { readSubmission } from "~/lib/forms.server";
import { data, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { clientIp, requireStaff } from "~/web/guards.server";
import { GeneralSettingsForm } from "~/components/admin/general-settings-form";
import { PageHeader } from "~/components/ui";
import { db, withTenant } from "~/db.server";
import { GeneralSettingsSchema, knownTimezones } from "~/domain/merchants/schemas";
import { generalSettingsOf, updateGeneralSettings } from "~/domain/merchants/settings.server";

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant, role } = await requireStaff(request, params.merchant, "analyst");
  return { settings: generalSettingsOf(merchant), role, timezones: knownTimezones() };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { merchant, user } = await requireStaff(request, params.merchant, "admin");
  const submission = await readSubmission(request, { schema: GeneralSettingsSchema });
  if (submission.status !== "success") return data({ result: submission.reply(), saved: false }, { status: 400 });
  const actor = { type: "staff" as const, id: user.id, ip: clientIp(request) };
  const { changed } = await withTenant(db(), merchant.id, (trx) => updateGeneralSettings(trx, merchant.id, actor, submission.value));
  return { result: submission.reply(), saved: changed };
}

export default function GeneralSettings() {
  const { settings, role, timezones } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  return (
    <>
      <PageHeader title="General" description="Your merchant's name, time zone and how the member portal looks." />
      <GeneralSettingsForm settings={settings} role={role} timezones={timezones} lastResult={actionData?.result} saved={actionData?.saved} />
    </>
  );
}
