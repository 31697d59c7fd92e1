import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { requirePortalMerchant } from "~/web/guards.server";
import { AuthPanel, Button } from "~/components/ui";
import { db, withTenant } from "~/db.server";
import { unsubscribeByToken, unsubscribeTokenValid } from "~/domain/offers/announcements.server";

export const meta: MetaFunction = () => [{ title: "Unsubscribe from offer e-mails" }];

/**
 * The unsubscribe link of offer announcements. Outside the portal layout on purpose: it must work without a login,
 * also when the merchant keeps its portal for members only. The token is the only credential (160 random bits,
 * stored hashed); GET only asks, POST opts the member out (so link scanners that prefetch do not unsubscribe anyone).
 */
export async function loader({ params }: LoaderFunctionArgs) {
  const merchant = await requirePortalMerchant(params.merchant);
  const valid = await withTenant(db(), merchant.id, (trx) => unsubscribeTokenValid(trx, merchant.id, params.token ?? ""));
  return { name: merchant.name, valid };
}

export async function action({ params }: ActionFunctionArgs) {
  const merchant = await requirePortalMerchant(params.merchant);
  const done = await withTenant(db(), merchant.id, (trx) => unsubscribeByToken(trx, merchant.id, params.token ?? ""));
  return { done: !!done };
}

export default function Unsubscribe() {
  const { name, valid } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  if (result?.done) {
    return (
      <AuthPanel title="You are unsubscribed">
        <p className="text-sm text-stone-700">You will no longer receive offer e-mails from {name}. Your points and rewards are not affected.</p>
      </AuthPanel>
    );
  }
  if (!valid || result) {
    return (
      <AuthPanel title="Link not valid">
        <p className="text-sm text-stone-700">This unsubscribe link is not valid. Use the link from the most recent e-mail.</p>
      </AuthPanel>
    );
  }
  return (
    <AuthPanel title="Unsubscribe from offer e-mails" subtitle={name}>
      <Form method="post" className="space-y-4">
        <p className="text-sm text-stone-700">Stop receiving e-mails about offers from {name}? Account e-mails (like password resets) still arrive.</p>
        <Button type="submit">Unsubscribe</Button>
      </Form>
    </AuthPanel>
  );
}
