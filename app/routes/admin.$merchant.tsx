import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Outlet, useLoaderData } from "@remix-run/react";
import { requireStaff, staffMembershipsOf } from "~/web/guards.server";
import { AdminShell } from "~/components/admin/admin-shell";
import type { AdminContext } from "~/components/admin/use-admin";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data ? `${data.merchant.name} · Perennial admin` : "Perennial admin" }];

export async function loader({ request, params }: LoaderFunctionArgs): Promise<AdminContext> {
  const { merchant, user, role } = await requireStaff(request, params.merchant, "analyst");
  const memberships = await staffMembershipsOf(request, user.id);
  return {
    merchant: { id: merchant.id, slug: merchant.slug, name: merchant.name, currency: merchant.currency, timezone: merchant.timezone },
    user: { id: user.id, name: user.name, email: user.email },
    role,
    merchants: memberships.map((m) => ({ slug: m.merchant.slug, name: m.merchant.name, role: m.role })),
  };
}

export default function AdminLayout() {
  const ctx = useLoaderData<typeof loader>();
  return (
    <AdminShell ctx={ctx}>
      <Outlet />
    </AdminShell>
  );
}
