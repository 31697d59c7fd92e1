import type { LoaderFunctionArgs } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { requirePortalMerchant } from "~/auth/guards.server";
import { portalVisitor } from "~/auth/session-cookies.server";
import { formatDate, formatDay } from "~/components/admin/format";
import { PortalLink } from "~/components/portal/portal-shell";
import { Card } from "~/components/ui";
import { db } from "~/db.server";
import { memberHome } from "~/domain/members/accounts.server";
import { formatMoney } from "~/lib/money";

export async function loader({ request, params }: LoaderFunctionArgs) {
  const merchant = await requirePortalMerchant(params.merchant);
  const auth = await portalVisitor(request, merchant);
  const tagline = typeof merchant.settings?.portalTagline === "string" ? merchant.settings.portalTagline.slice(0, 200) : null;
  if (!auth) return { kind: "visitor" as const, slug: merchant.slug, name: merchant.name, tagline };
  const home = await memberHome(db(), merchant.id, auth.member.id);
  // Formatted on the server in the merchant's time zone, so the browser shows exactly the same text.
  return {
    kind: "member" as const,
    slug: merchant.slug,
    name: merchant.name,
    member: {
      name: home.name,
      email: home.email,
      birthday: home.birthday ? formatDay(home.birthday) : null,
      memberSince: formatDate(home.memberSince, merchant.timezone),
      orderCount: home.orderCount,
      spend: home.spend.length ? home.spend.map((s) => formatMoney(s.amountMinor, s.currency)).join(" + ") : formatMoney(0, merchant.currency),
      lastOrder: home.lastOrderAt ? formatDate(home.lastOrderAt, merchant.timezone) : null,
    },
  };
}

export default function PortalHome() {
  const data = useLoaderData<typeof loader>();
  const base = `/p/${data.slug}`;
  if (data.kind === "visitor") {
    return (
      <section className="py-8 text-center">
        <h1 className="text-3xl font-semibold tracking-tight text-stone-900">{data.name} rewards</h1>
        <p className="mx-auto mt-3 max-w-md text-stone-600">
          {data.tagline ?? `Join ${data.name}'s rewards program to keep track of your purchases and perks.`}
        </p>
        <div className="mt-6 flex justify-center gap-3">
          <Link
            to={`${base}/signup`}
            className="rounded-md bg-(--portal-brand) px-4 py-2 text-sm font-medium text-(--portal-on-brand) hover:opacity-90"
          >
            Join now
          </Link>
          <Link
            to={`${base}/login`}
            className="rounded-md border border-stone-300 bg-white px-4 py-2 text-sm font-medium text-stone-800 hover:bg-stone-50"
          >
            Log in
          </Link>
        </div>
      </section>
    );
  }
  const m = data.member;
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight text-stone-900">Hi {m.name ?? "there"}!</h1>
        <p className="mt-1 text-sm text-stone-600">
          Member of {data.name} rewards since {m.memberSince}.
        </p>
      </div>
      <div className="grid gap-4 sm:grid-cols-2">
        <Card title="Your orders">
          <dl className="grid grid-cols-2 gap-4">
            <div>
              <dt className="text-xs uppercase tracking-wide text-stone-500">Orders</dt>
              <dd className="mt-1 text-2xl font-semibold text-stone-900">{m.orderCount}</dd>
            </div>
            <div>
              <dt className="text-xs uppercase tracking-wide text-stone-500">Total spent</dt>
              <dd className="mt-1 text-2xl font-semibold text-stone-900">{m.spend}</dd>
            </div>
          </dl>
          <p className="mt-3 text-sm text-stone-600">
            {m.lastOrder ? `Last order on ${m.lastOrder}.` : `No orders yet — purchases at ${data.name} made with ${m.email} show up here.`}
          </p>
        </Card>
        <Card title="Your profile">
          <dl className="space-y-2 text-sm">
            <div className="flex justify-between gap-4">
              <dt className="shrink-0 text-stone-500">Name</dt>
              <dd className="text-stone-900">{m.name ?? "—"}</dd>
            </div>
            <div className="flex justify-between gap-4">
              <dt className="shrink-0 text-stone-500">E-mail</dt>
              <dd className="min-w-0 truncate text-right text-stone-900" title={m.email}>
                {m.email}
              </dd>
            </div>
            <div className="flex justify-between gap-4">
              <dt className="shrink-0 text-stone-500">Birthday</dt>
              <dd className="text-stone-900">{m.birthday ?? "Not set"}</dd>
            </div>
          </dl>
          <p className="mt-3 text-sm">
            <PortalLink to={`${base}/profile`}>Edit profile or change password</PortalLink>
          </p>
        </Card>
      </div>
    </div>
  );
}
