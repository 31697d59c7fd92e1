import { readForm } from "~/lib/forms.server";
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { clientIp, requireStaff } from "~/auth/guards.server";
import { AuditTrail, BlockControl, MemberOrders, MemberSummary } from "~/components/admin/member-profile";
import { PageHeader } from "~/components/ui";
import { db, withTenant } from "~/db.server";
import { getMemberProfile, setMemberBlocked } from "~/domain/members/profile.server";
import { DomainError } from "~/lib/errors";
import { isId } from "~/lib/ids";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data ? `${data.profile.member.name ?? data.profile.member.email} · Members` : "Member" }];

const notFound = () => new Response("Member not found", { status: 404 });

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant, role } = await requireStaff(request, params.merchant, "analyst");
  const memberId = params.memberId ?? "";
  if (!isId("member", memberId)) throw notFound();
  // Tenant-scoped: a member id of another merchant finds nothing here (RLS), hence 404.
  const profile = await withTenant(db(), merchant.id, (trx) => getMemberProfile(trx, merchant.id, memberId));
  if (!profile) throw notFound();
  return { profile, role, currency: merchant.currency, timezone: merchant.timezone };
}

const ActionSchema = z.object({ intent: z.enum(["block", "unblock"]) });

export async function action({ request, params }: ActionFunctionArgs) {
  const { merchant, user } = await requireStaff(request, params.merchant, "admin");
  const memberId = params.memberId ?? "";
  if (!isId("member", memberId)) throw notFound();
  const parsed = ActionSchema.safeParse(Object.fromEntries(await readForm(request)));
  if (!parsed.success) return data({ ok: false as const, error: "Unknown action." }, { status: 400 });
  try {
    const result = await withTenant(db(), merchant.id, (trx) =>
      setMemberBlocked(trx, merchant.id, memberId, parsed.data.intent === "block", { type: "staff", id: user.id, ip: clientIp(request) }),
    );
    return { ok: true as const, status: result.status };
  } catch (e) {
    if (e instanceof DomainError) return data({ ok: false as const, error: e.message }, { status: e.status });
    throw e;
  }
}

export default function MemberPage() {
  const { profile, role, currency, timezone } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const m = profile.member;
  return (
    <>
      <PageHeader title={m.name || m.email} description={m.name ? m.email : undefined} actions={<BlockControl status={m.status} role={role} />} />
      {result && !result.ok ? <p role="alert" className="mb-4 text-sm text-red-700">{result.error}</p> : null}
      <div className="grid grid-cols-1 gap-6 lg:grid-cols-2">
        <MemberSummary profile={profile} currency={currency} timezone={timezone} />
      </div>
      <MemberOrders orders={profile.recentOrders} total={profile.orders.count} timezone={timezone} />
      <AuditTrail entries={profile.audit} timezone={timezone} />
    </>
  );
}
