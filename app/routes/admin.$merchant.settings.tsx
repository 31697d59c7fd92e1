import type { LoaderFunctionArgs } from "@remix-run/node";
import { Outlet, useLoaderData } from "@remix-run/react";
import { requireStaff } from "~/web/guards.server";
import { SettingsNav } from "~/components/admin/settings-nav";

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant } = await requireStaff(request, params.merchant, "analyst");
  return { slug: merchant.slug };
}

export default function SettingsLayout() {
  const { slug } = useLoaderData<typeof loader>();
  return (
    <div className="lg:flex lg:gap-8">
      <SettingsNav slug={slug} />
      <div className="min-w-0 flex-1">
        <Outlet />
      </div>
    </div>
  );
}
