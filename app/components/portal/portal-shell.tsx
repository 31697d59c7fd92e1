import { Form, Link, NavLink } from "@remix-run/react";
import { cx } from "~/components/ui";
import { onColor } from "./brand";

export interface PortalBrand {
  slug: string;
  name: string;
  brandColor: string;
  tagline: string | null;
}

/**
 * The member portal frame, tinted with the merchant's colour through the CSS variable --portal-brand
 * (validated to a hex colour on the server, so it cannot inject CSS).
 */
export function PortalShell({ brand, member, children }: { brand: PortalBrand; member: { name: string | null } | null; children: React.ReactNode }) {
  const base = `/p/${brand.slug}`;
  const link = ({ isActive }: { isActive: boolean }) =>
    cx("rounded-md px-3 py-1.5 text-sm font-medium", isActive ? "bg-black/15 underline underline-offset-4" : "hover:bg-black/10");
  return (
    <div
      className="flex min-h-full flex-col"
      style={{ "--portal-brand": brand.brandColor, "--portal-on-brand": onColor(brand.brandColor) } as React.CSSProperties}
    >
      <header className="bg-(--portal-brand) text-(--portal-on-brand)">
        <div className="mx-auto flex max-w-3xl flex-wrap items-center justify-between gap-3 px-4 py-4">
          <Link to={base} className="text-lg font-semibold tracking-tight">
            {brand.name}
            <span className="sr-only"> rewards — home</span>
          </Link>
          <nav aria-label="Portal" className="flex flex-wrap items-center gap-1">
            {member ? (
              <>
                <NavLink to={base} end className={link}>
                  Home
                </NavLink>
                <NavLink to={`${base}/points`} className={link}>
                  Points
                </NavLink>
                <NavLink to={`${base}/tier`} className={link}>
                  Tier
                </NavLink>
                <NavLink to={`${base}/rewards`} className={link}>
                  Rewards
                </NavLink>
                <NavLink to={`${base}/offers`} className={link}>
                  Offers
                </NavLink>
                <NavLink to={`${base}/refer`} className={link}>
                  Refer
                </NavLink>
                <NavLink to={`${base}/profile`} className={link}>
                  Profile
                </NavLink>
                <Form method="post" action={`${base}/logout`}>
                  <button type="submit" className="rounded-md px-3 py-1.5 text-sm font-medium hover:bg-black/10">
                    Log out
                  </button>
                </Form>
              </>
            ) : (
              <>
                <NavLink to={`${base}/login`} className={link}>
                  Log in
                </NavLink>
                <NavLink to={`${base}/signup`} className={link}>
                  Join
                </NavLink>
              </>
            )}
          </nav>
        </div>
      </header>
      <main className="mx-auto w-full max-w-3xl flex-1 px-4 py-8">{children}</main>
      <footer className="mx-auto w-full max-w-3xl px-4 py-6 text-xs text-stone-500">
        {brand.name} rewards · powered by{" "}
        <a href="/" className="underline">
          Perennial
        </a>
      </footer>
    </div>
  );
}

/** A narrow centred card for the portal's sign-in style pages. */
export function PortalAuthCard({
  title,
  subtitle,
  children,
  footer,
}: {
  title: string;
  subtitle?: React.ReactNode;
  children: React.ReactNode;
  footer?: React.ReactNode;
}) {
  return (
    <div className="mx-auto w-full max-w-sm">
      <h1 className="text-2xl font-semibold tracking-tight text-stone-900">{title}</h1>
      {subtitle ? <p className="mt-1 text-sm text-stone-600">{subtitle}</p> : null}
      <div className="mt-6 rounded-lg border border-stone-200 bg-white p-6 shadow-sm">{children}</div>
      {footer ? <div className="mt-4 text-center text-sm text-stone-600">{footer}</div> : null}
    </div>
  );
}

/** Primary action in the merchant's colour. */
export function PortalButton({ className, children, ...rest }: React.ButtonHTMLAttributes<HTMLButtonElement>) {
  return (
    <button
      className={cx(
        "inline-flex w-full items-center justify-center rounded-md bg-(--portal-brand) px-4 py-2 text-sm font-medium text-(--portal-on-brand) hover:opacity-90 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-(--portal-brand) disabled:opacity-60",
        className,
      )}
      {...rest}
    >
      {children}
    </button>
  );
}

export function PortalLink({ to, children }: { to: string; children: React.ReactNode }) {
  return (
    <Link to={to} className="font-medium text-(--portal-brand) underline underline-offset-2 hover:opacity-80">
      {children}
    </Link>
  );
}
