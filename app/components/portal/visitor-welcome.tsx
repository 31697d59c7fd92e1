import { Link } from "@remix-run/react";

/** The portal home for someone not logged in: the program's name, its tagline and the ways in. */
export function VisitorWelcome({ slug, name, tagline }: { slug: string; name: string; tagline: string | null }) {
  const base = `/p/${slug}`;
  return (
    <section className="py-8 text-center">
      <h1 className="text-3xl font-semibold tracking-tight text-stone-900">{name} rewards</h1>
      <p className="mx-auto mt-3 max-w-md text-stone-600">{tagline ?? `Join ${name}'s rewards program to keep track of your purchases and perks.`}</p>
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
