import { parseWithZod } from "@conform-to/zod/v4";
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { readForm } from "~/lib/forms.server";
import { replyWithDomainError } from "~/web/form-action.server";
import { getStaffUser } from "~/web/guards.server";
import { startStaffSession } from "~/auth/session-cookies.server";
import { PerennialMark } from "~/components/auth/brand";
import { MerchantSignupFooter, MerchantSignupForm } from "~/components/auth/merchant-signup-form";
import { AuthPanel } from "~/components/ui";
import { db } from "~/db.server";
import { createMerchantForStaff, createMerchantWithOwner } from "~/domain/merchants/create.server";
import { AdditionalMerchantSchema, MerchantSignupSchema, supportedCurrencies, supportedTimeZones } from "~/domain/merchants/schemas";

export const meta: MetaFunction = () => [{ title: "Create a merchant · Perennial" }];

// The lists come from the server's Intl data so the browser renders exactly what the server will accept.
export async function loader({ request }: LoaderFunctionArgs) {
  const me = await getStaffUser(request);
  return { currencies: supportedCurrencies(), timeZones: supportedTimeZones(), me: me ? { email: me.user.email } : null };
}

export async function action({ request }: ActionFunctionArgs) {
  const form = await readForm(request);
  const me = await getStaffUser(request);
  if (me) {
    // Already logged in: the new merchant joins the existing account, which gets a fresh session (S4).
    const submission = parseWithZod(form, { schema: AdditionalMerchantSchema });
    if (submission.status !== "success") return data({ result: submission.reply() }, { status: 400 });
    const v = submission.value;
    try {
      const merchant = await createMerchantForStaff(db(), me.user.id, { name: v.merchantName, slug: v.slug, currency: v.currency, timezone: v.timezone });
      return redirect(`/admin/${merchant.slug}`, { headers: { "Set-Cookie": await startStaffSession(request, me.user.id) } });
    } catch (err) {
      return replyWithDomainError(submission, err, { fields: ["slug"] });
    }
  }
  const submission = parseWithZod(form, { schema: MerchantSignupSchema });
  if (submission.status !== "success") return data({ result: submission.reply({ hideFields: ["password"] }) }, { status: 400 });
  const v = submission.value;
  try {
    const { merchant, owner } = await createMerchantWithOwner(db(), {
      merchant: { name: v.merchantName, slug: v.slug, currency: v.currency, timezone: v.timezone },
      owner: { name: v.name, email: v.email, password: v.password },
    });
    return redirect(`/admin/${merchant.slug}`, { headers: { "Set-Cookie": await startStaffSession(request, owner.id) } });
  } catch (err) {
    return replyWithDomainError(submission, err, { fields: ["slug", "email"], hideFields: ["password"] });
  }
}

export default function Signup() {
  const { currencies, timeZones, me } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  return (
    <AuthPanel
      logo={<PerennialMark />}
      title="Create a merchant"
      subtitle={me ? `A new merchant owned by ${me.email}.` : "Your loyalty program and your admin account, in one step."}
      footer={<MerchantSignupFooter loggedIn={me !== null} />}
    >
      <MerchantSignupForm currencies={currencies} timeZones={timeZones} loggedIn={me !== null} lastResult={actionData?.result} />
    </AuthPanel>
  );
}
