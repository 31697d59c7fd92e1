/** One figure on the dashboard; rendered inside a <dl>. */
export function StatCard({ label, value, hint }: { label: string; value: string; hint?: string }) {
  return (
    <div className="rounded-lg border border-stone-200 bg-white px-5 py-4 shadow-sm">
      <dt className="text-sm text-stone-600">{label}</dt>
      <dd className="mt-1 text-2xl font-semibold tabular-nums text-stone-900">{value}</dd>
      {hint ? <dd className="mt-1 text-xs text-stone-500">{hint}</dd> : null}
    </div>
  );
}
