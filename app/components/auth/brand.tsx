import { Link } from "@remix-run/react";

/** The Perennial wordmark above staff sign-in screens. */
export function PerennialMark() {
  return (
    <Link to="/" className="mb-6 inline-flex items-center gap-2 text-sm font-semibold uppercase tracking-wide text-brand-500">
      <span aria-hidden className="inline-block size-3 rounded-full bg-brand-500" />
      Perennial
    </Link>
  );
}
