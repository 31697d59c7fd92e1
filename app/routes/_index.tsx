import type { MetaFunction } from "@remix-run/node";
import { Link } from "@remix-run/react";
import { buttonClass } from "~/components/ui";

export const meta: MetaFunction = () => [
  { title: "Perennial — loyalty and referrals that prove their worth" },
  { name: "description", content: "Open-source loyalty and referral platform that measures the incremental customer lifetime value of every program." },
];

export default function Index() {
  return (
    <main className="mx-auto flex min-h-full max-w-3xl flex-col justify-center px-6 py-20">
      <p className="text-sm font-semibold uppercase tracking-wide text-brand-500">Perennial</p>
      <h1 className="mt-3 text-4xl font-semibold tracking-tight text-stone-900 sm:text-5xl">Loyalty and referrals that prove what they are worth.</h1>
      <p className="mt-5 text-lg text-stone-600">
        Points, tiers, rewards, multi-level referrals and member offers — and a report of the customer lifetime value each program
        actually causes, measured against a randomized holdout and net of its cost.
      </p>
      <div className="mt-8 flex flex-wrap gap-3">
        <Link to="/login" className={buttonClass("primary")}>Log in to the admin</Link>
        <Link to="/signup" className={buttonClass("secondary")}>Create a merchant</Link>
        <Link to="/p/northwind" className={buttonClass("ghost")}>Visit the demo portal →</Link>
      </div>
    </main>
  );
}
