import { data, redirect, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { merchantsWithCode } from "~/web/presenters/referrals/lookup.server";

export const meta: MetaFunction = () => [{ title: "You're invited" }];

/**
 * The short share link /r/<code>. The code finds the program; the landing page itself lives in that program's
 * portal (/p/<slug>/r/<code>: its branding, its cookies, its sign-up). In the rare case two programs on this
 * instance issued the same code, the visitor picks the shop that invited them.
 */
export async function loader({ params, request }: LoaderFunctionArgs) {
  const code = params.code ?? "";
  const found = await merchantsWithCode(code);
  const search = new URL(request.url).search;
  if (found.length === 1) throw redirect(`/p/${found[0]!.slug}/r/${encodeURIComponent(code)}${search}`);
  if (found.length === 0) return data({ code, programs: [] }, { status: 404 });
  return { code, programs: found.map((m) => ({ name: m.name, href: `/p/${m.slug}/r/${encodeURIComponent(code)}` })) };
}

export default function ShortReferralLink() {
  const { programs } = useLoaderData<typeof loader>();
  return (
    <main className="mx-auto flex min-h-full max-w-lg flex-col justify-center px-6 py-24 text-center">
      {programs.length ? (
        <>
          <h1 className="text-2xl font-semibold tracking-tight text-stone-900">Which shop invited you?</h1>
          <p className="mt-3 text-stone-600">This invitation code is used by more than one shop here. Choose the one your friend shops at.</p>
          <ul className="mt-6 space-y-2">
            {programs.map((p) => (
              <li key={p.href}>
                <Link to={p.href} className="block rounded-md border border-stone-300 bg-white px-4 py-3 font-medium text-stone-900 hover:bg-stone-50">
                  {p.name}
                </Link>
              </li>
            ))}
          </ul>
        </>
      ) : (
        <>
          <h1 className="text-2xl font-semibold tracking-tight text-stone-900">This invitation link doesn't work</h1>
          <p className="mt-3 text-stone-600">The code may have been mistyped, or the invitation is no longer valid. Ask your friend to send their link again.</p>
        </>
      )}
    </main>
  );
}
