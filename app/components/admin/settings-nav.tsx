import { NavLink } from "@remix-run/react";
import { cx } from "~/components/ui";
import { adminPath } from "./use-admin";

const PAGES = [
  { label: "General", to: "settings", end: true },
  { label: "Team", to: "settings/team" },
  { label: "API keys", to: "settings/api-keys" },
  { label: "E-mail", to: "settings/email" },
  { label: "Stripe", to: "settings/stripe" },
  { label: "CLTV", to: "settings/cltv" },
];

/** Settings sub-navigation: a row of tabs on small screens, a column beside the page on wide ones. */
export function SettingsNav({ slug }: { slug: string }) {
  return (
    <nav aria-label="Settings" className="mb-6 lg:mb-0 lg:w-44 lg:shrink-0">
      <ul className="flex gap-1 overflow-x-auto lg:flex-col">
        {PAGES.map((p) => (
          <li key={p.to}>
            <NavLink
              to={adminPath(slug, p.to)}
              end={p.end}
              className={({ isActive }) =>
                cx(
                  "block whitespace-nowrap rounded-md px-3 py-2 text-sm font-medium",
                  isActive ? "bg-white text-brand-700 shadow-sm ring-1 ring-stone-200" : "text-stone-600 hover:bg-stone-100 hover:text-stone-900",
                )
              }
            >
              {p.label}
            </NavLink>
          </li>
        ))}
      </ul>
    </nav>
  );
}
