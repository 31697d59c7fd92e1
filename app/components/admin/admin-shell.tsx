import { Form, Link, NavLink, useLocation } from "@remix-run/react";
import { useEffect, useId, useState } from "react";
import { buttonClass, cx } from "~/components/ui";
import { adminPath, type AdminContext } from "./use-admin";

/**
 * The admin frame: a sidebar on wide screens that becomes a top bar with a menu button on small ones.
 * NavLink sets aria-current="page" on the active section; focus rings come from the global :focus-visible style.
 */

export const ADMIN_SECTIONS = [
  { label: "Dashboard", to: "", end: true },
  { label: "Members", to: "members" },
  { label: "Imports", to: "imports" },
  { label: "Programs", to: "programs" },
  { label: "Tiers", to: "tiers" },
  { label: "Rewards", to: "rewards" },
  { label: "Referrals", to: "referrals" },
  { label: "Segments", to: "segments" },
  { label: "Offers", to: "offers" },
  { label: "Reports", to: "reports" },
  { label: "CLTV", to: "cltv" },
  { label: "Subscriptions", to: "subscriptions" },
  { label: "Mailbox", to: "mailbox" },
  { label: "Settings", to: "settings" },
] as const;

const ROLE_LABEL = { owner: "Owner", admin: "Admin", analyst: "Analyst" } as const;

function SectionNav({ slug, onNavigate }: { slug: string; onNavigate?: () => void }) {
  return (
    <ul className="space-y-0.5">
      {ADMIN_SECTIONS.map((s) => (
        <li key={s.label}>
          <NavLink
            to={adminPath(slug, s.to)}
            end={"end" in s ? s.end : false}
            prefetch="intent"
            onClick={onNavigate}
            className={({ isActive }) =>
              cx(
                "block rounded-md px-3 py-2 text-sm font-medium",
                isActive ? "bg-brand-100 text-brand-700" : "text-stone-700 hover:bg-stone-100 hover:text-stone-900",
              )
            }
          >
            {s.label}
          </NavLink>
        </li>
      ))}
    </ul>
  );
}

/** Other merchants of this user; a <details> menu so it works before JavaScript loads. */
function MerchantSwitcher({ ctx }: { ctx: AdminContext }) {
  const others = ctx.merchants.filter((m) => m.slug !== ctx.merchant.slug);
  if (!others.length) return <span className="truncate font-semibold text-stone-900">{ctx.merchant.name}</span>;
  return (
    <details className="relative">
      <summary className="flex cursor-pointer list-none items-center gap-1 rounded-md px-2 py-1 font-semibold text-stone-900 hover:bg-stone-100">
        <span className="truncate">{ctx.merchant.name}</span>
        <span aria-hidden className="text-stone-500">▾</span>
        <span className="sr-only">— switch merchant</span>
      </summary>
      <ul className="absolute left-0 z-20 mt-1 w-64 rounded-md border border-stone-200 bg-white py-1 shadow-lg">
        {others.map((m) => (
          <li key={m.slug}>
            <Link to={adminPath(m.slug)} className="flex justify-between gap-2 px-3 py-2 text-sm hover:bg-stone-50">
              <span className="truncate">{m.name}</span>
              <span className="text-xs text-stone-500">{ROLE_LABEL[m.role]}</span>
            </Link>
          </li>
        ))}
        <li className="border-t border-stone-100">
          <Link to="/admin" className="block px-3 py-2 text-sm text-stone-600 hover:bg-stone-50">
            All merchants
          </Link>
        </li>
      </ul>
    </details>
  );
}

function UserBox({ ctx }: { ctx: AdminContext }) {
  return (
    <div className="flex items-center gap-3">
      <p className="text-right text-sm leading-tight">
        <span className="block font-medium text-stone-900">{ctx.user.name}</span>
        <span className="block text-xs text-stone-500">{ROLE_LABEL[ctx.role]}</span>
      </p>
      <Form method="post" action="/logout">
        <button type="submit" className={buttonClass("secondary", "sm", "whitespace-nowrap")}>
          Log out
        </button>
      </Form>
    </div>
  );
}

export function AdminShell({ ctx, children }: { ctx: AdminContext; children: React.ReactNode }) {
  const [menuOpen, setMenuOpen] = useState(false);
  const menuId = useId();
  const location = useLocation();
  // Close the small-screen menu after navigating.
  useEffect(() => setMenuOpen(false), [location.pathname]);

  return (
    <div className="min-h-full lg:flex">
      <a href="#admin-main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2">
        Skip to content
      </a>

      {/* Wide screens: fixed sidebar. */}
      <aside className="hidden w-60 shrink-0 border-r border-stone-200 bg-white lg:block">
        <div className="sticky top-0 flex h-screen flex-col px-3 py-5">
          <Link to={adminPath(ctx.merchant.slug)} className="mb-6 px-3 text-sm font-semibold uppercase tracking-wide text-brand-500">
            Perennial
          </Link>
          <nav aria-label="Admin sections">
            <SectionNav slug={ctx.merchant.slug} />
          </nav>
        </div>
      </aside>

      <div className="flex min-w-0 flex-1 flex-col">
        <header className="border-b border-stone-200 bg-white">
          <div className="flex items-center justify-between gap-3 px-4 py-3 lg:px-8">
            <div className="flex min-w-0 items-center gap-2">
              <button
                type="button"
                className={buttonClass("ghost", "sm", "lg:hidden")}
                aria-expanded={menuOpen}
                aria-controls={menuId}
                onClick={() => setMenuOpen((o) => !o)}
              >
                <span aria-hidden>☰</span>
                <span>Menu</span>
              </button>
              <MerchantSwitcher ctx={ctx} />
            </div>
            <UserBox ctx={ctx} />
          </div>
          {/* Small screens: the same sections, revealed by the menu button. */}
          <nav id={menuId} aria-label="Admin sections" className={cx("border-t border-stone-200 px-3 py-2 lg:hidden", !menuOpen && "hidden")}>
            <SectionNav slug={ctx.merchant.slug} onNavigate={() => setMenuOpen(false)} />
          </nav>
        </header>
        <main id="admin-main" className="mx-auto w-full max-w-6xl flex-1 px-4 py-6 lg:px-8">
          {children}
        </main>
      </div>
    </div>
  );
}
