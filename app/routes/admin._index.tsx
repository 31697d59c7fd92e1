import { redirect, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { requireStaffUser } from "~/web/guards.server";
import { PerennialMark } from "~/components/auth/brand";
import { AuthPanel, Badge, LinkButton } from "~/components/ui";
import { db } from "~/db.server";
import { staffMemberships } from "~/domain/merchants/merchants.server";

export const meta: MetaFunction = () => [{ title: "Choose a merchant · Perennial" }];

/** The merchant picker; someone on exactly one team goes straight in. */
export async function loader({ request }: LoaderFunctionArgs) {
  const { user } = await requireStaffUser(request);
  const memberships = await staffMemberships(db(), user.id);
  if (memberships.length === 1) throw redirect(`/admin/${memberships[0]!.merchant.slug}`);
  return {
    user: { name: user.name, email: user.email },
    merchants: memberships.map((m) => ({ slug: m.merchant.slug, name: m.merchant.name, role: m.role })),
  };
}

export default function MerchantPicker() {
  const { user, merchants } = useLoaderData<typeof loader>();
  return (
    <AuthPanel
      logo={<PerennialMark />}
      title={merchants.length ? "Choose a merchant" : "No merchant yet"}
      subtitle={`Logged in as ${user.email}.`}
      footer={
        <Form method="post" action="/logout">
          <button type="submit" className="text-brand-600 underline">
            Log out
          </button>
        </Form>
      }
    >
      {merchants.length ? (
        <>
          <ul className="-my-2 divide-y divide-stone-200">
            {merchants.map((m) => (
              <li key={m.slug}>
                <Link to={`/admin/${m.slug}`} className="flex items-center justify-between gap-3 py-3 hover:text-brand-600">
                  <span className="font-medium">{m.name}</span>
                  <Badge tone={m.role === "owner" ? "brand" : "neutral"}>{m.role}</Badge>
                </Link>
              </li>
            ))}
          </ul>
          <p className="mt-4 border-t border-stone-200 pt-4 text-sm">
            <Link to="/signup" className="text-brand-600 underline">
              Create another merchant
            </Link>
          </p>
        </>
      ) : (
        <div className="space-y-4 text-sm text-stone-700">
          <p>You are not on any merchant's team. Ask an owner to invite you, or create your own merchant.</p>
          <LinkButton to="/signup" className="w-full">
            Create a merchant
          </LinkButton>
        </div>
      )}
    </AuthPanel>
  );
}
