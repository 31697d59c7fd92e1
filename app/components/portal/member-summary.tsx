import { formatDate, formatDay } from "~/components/ui/format";
import { Card } from "~/components/ui";
import { formatMoney } from "~/lib/money";
import { PortalLink } from "./portal-shell";

/** What the portal home shows a member, as display text. */
export interface MemberSummaryView {
  name: string | null;
  email: string;
  birthday: string | null;
  memberSince: string;
  orderCount: number;
  spend: string;
  lastOrder: string | null;
}

/**
 * Formats the member's home data for display, in the merchant's time zone and currency. Called by the loader, so
 * the browser shows exactly the text the server rendered.
 */
export function memberSummaryView(
  home: {
    name: string | null;
    email: string;
    birthday: string | null;
    memberSince: Date;
    orderCount: number;
    spend: Array<{ currency: string; amountMinor: number }>;
    lastOrderAt: Date | null;
  },
  merchant: { timezone: string; currency: string },
): MemberSummaryView {
  return {
    name: home.name,
    email: home.email,
    birthday: home.birthday ? formatDay(home.birthday) : null,
    memberSince: formatDate(home.memberSince, merchant.timezone),
    orderCount: home.orderCount,
    spend: home.spend.length ? home.spend.map((s) => formatMoney(s.amountMinor, s.currency)).join(" + ") : formatMoney(0, merchant.currency),
    lastOrder: home.lastOrderAt ? formatDate(home.lastOrderAt, merchant.timezone) : null,
  };
}

/** The portal home for a logged-in member: a greeting, their orders and their profile. */
export function MemberSummary({ slug, programName, member: m }: { slug: string; programName: string; member: MemberSummaryView }) {
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight text-stone-900">Hi {m.name ?? "there"}!</h1>
        <p className="mt-1 text-sm text-stone-600">
          Member of {programName} rewards since {m.memberSince}.
        </p>
      </div>
      <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
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
            {m.lastOrder ? `Last order on ${m.lastOrder}.` : `No orders yet — purchases at ${programName} made with ${m.email} show up here.`}
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
            <PortalLink to={`/p/${slug}/profile`}>Edit profile or change password</PortalLink>
          </p>
        </Card>
      </div>
    </div>
  );
}
