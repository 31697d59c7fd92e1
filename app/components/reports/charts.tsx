import { useId } from "react";

/**
 * The incrementality report's SVG charts, server-rendered: axes with ticks and units, a legend, and a text
 * summary for screen readers (the exact figures are in the tables and their CSV exports).
 */

export const ARM_COLORS = ["#57534e", "#b45309", "#2563eb", "#059669", "#7c3aed", "#db2777"];

const W = 640;
const H = 260;
const PAD = { left: 64, right: 16, top: 16, bottom: 40 };

function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(Number(v.toFixed(10)));
  return out;
}

function Frame({ id, title, summary, children, legend }: { id: string; title: string; summary: string; children: React.ReactNode; legend: { label: string; color: string }[] }) {
  return (
    <figure>
      <figcaption id={`${id}-t`} className="mb-2 text-sm font-medium text-stone-700">
        {title}
      </figcaption>
      <svg role="img" aria-labelledby={`${id}-t ${id}-d`} viewBox={`0 0 ${W} ${H}`} className="h-auto w-full">
        <desc id={`${id}-d`}>{summary}</desc>
        {children}
      </svg>
      <ul className="mt-2 flex flex-wrap gap-4 text-xs text-stone-600" aria-label="Legend">
        {legend.map((l) => (
          <li key={l.label} className="flex items-center gap-1.5">
            <span aria-hidden="true" className="inline-block h-2.5 w-4 rounded-sm" style={{ background: l.color }} />
            {l.label}
          </li>
        ))}
      </ul>
    </figure>
  );
}

function Axes({ x, y, xLabel, yLabel, yTicks, xTicks, fmtY }: {
  x: (v: number) => number;
  y: (v: number) => number;
  xLabel: string;
  yLabel: string;
  yTicks: number[];
  xTicks: { v: number; label: string }[];
  fmtY: (v: number) => string;
}) {
  return (
    <g fontSize={10} className="fill-stone-500">
      {yTicks.map((t) => (
        <g key={`y${t}`}>
          <line x1={PAD.left} x2={W - PAD.right} y1={y(t)} y2={y(t)} stroke={t === 0 ? "#a8a29e" : "#e7e5e4"} strokeWidth={1} />
          <text x={PAD.left - 6} y={y(t) + 3} textAnchor="end">
            {fmtY(t)}
          </text>
        </g>
      ))}
      {xTicks.map((t) => (
        <text key={`x${t.v}`} x={x(t.v)} y={H - PAD.bottom + 14} textAnchor="middle">
          {t.label}
        </text>
      ))}
      <line x1={PAD.left} x2={PAD.left} y1={PAD.top} y2={H - PAD.bottom} stroke="#a8a29e" />
      <text x={(PAD.left + W - PAD.right) / 2} y={H - 6} textAnchor="middle">
        {xLabel}
      </text>
      <text x={12} y={(PAD.top + H - PAD.bottom) / 2} textAnchor="middle" transform={`rotate(-90 12 ${(PAD.top + H - PAD.bottom) / 2})`}>
        {yLabel}
      </text>
    </g>
  );
}

export interface CumulativeSeries {
  arm: string;
  points: { month: number; mean: number; lo: number; hi: number }[];
  /** The outstanding points' liability per member as of now (0 or absent: none). */
  liability?: number;
}

/** Where an arm's value ends once the points it still holds are paid for: the last month's mean less the liability. */
function afterLiability(s: CumulativeSeries): { month: number; from: number; to: number } | null {
  const last = s.points[s.points.length - 1];
  if (!last || !s.liability) return null;
  return { month: last.month, from: last.mean, to: last.mean - s.liability };
}

/**
 * Cumulative value per member by month since assignment, one line per arm with its 95% band. The outstanding points'
 * liability is not an event in time (it is as of now), so it is drawn as its own dashed line at the end of each arm
 * that has one: from the last month's value down by the liability per member, the value the report nets.
 */
export function CumulativeValueChart({ series, unit, fmt }: { series: CumulativeSeries[]; unit: string; fmt: (v: number) => string }) {
  const id = useId();
  const months = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p.month + 1)));
  const drops = series.map(afterLiability);
  const all = [...series.flatMap((s) => s.points.flatMap((p) => [p.lo, p.hi])), ...drops.flatMap((d) => (d ? [d.to] : []))];
  const yTicks = niceTicks(Math.min(0, ...all), Math.max(1, ...all));
  const [y0, y1] = [yTicks[0]!, Math.max(yTicks[yTicks.length - 1]!, ...all)];
  const x = (m: number) => PAD.left + (months === 1 ? 0.5 : m / (months - 1)) * (W - PAD.left - PAD.right);
  const y = (v: number) => H - PAD.bottom - ((v - y0) / (y1 - y0 || 1)) * (H - PAD.top - PAD.bottom);
  const last = series.map((s) => `${s.arm} ${fmt(s.points[s.points.length - 1]?.mean ?? 0)}`).join(", ");
  const heldBack = series.flatMap((s, i) => (drops[i] ? [`${s.arm} ${fmt(drops[i]!.to)} (liability ${fmt(s.liability!)})`] : [])).join(", ");
  const legend = series.map((s, i) => ({ label: s.arm, color: ARM_COLORS[i % ARM_COLORS.length]! }));
  if (heldBack) legend.push({ label: "dashed: less the outstanding points' liability (as of now)", color: "repeating-linear-gradient(90deg, #78716c 0 4px, transparent 4px 7px)" });
  const xTicks = Array.from({ length: months }, (_, m) => m).filter((m) => months <= 12 || m % 3 === 0).map((m) => ({ v: m, label: String(m + 1) }));
  return (
    <Frame
      id={id}
      title={`Cumulative value per member by month since assignment (${unit}, 95% band)`}
      summary={`After ${months} month(s): ${last}.${heldBack ? ` Less the outstanding points' liability: ${heldBack}.` : ""}`}
      legend={legend}
    >
      <Axes x={x} y={y} xLabel="Months since assignment" yLabel={`Value per member (${unit})`} yTicks={yTicks} xTicks={xTicks} fmtY={fmt} />
      {series.map((s, i) => {
        const c = ARM_COLORS[i % ARM_COLORS.length]!;
        if (!s.points.length) return null;
        const band = [...s.points.map((p) => `${x(p.month)},${y(p.hi)}`), ...[...s.points].reverse().map((p) => `${x(p.month)},${y(p.lo)}`)].join(" ");
        return (
          <g key={s.arm}>
            <polygon points={band} fill={c} fillOpacity={0.15} />
            <polyline points={s.points.map((p) => `${x(p.month)},${y(p.mean)}`).join(" ")} fill="none" stroke={c} strokeWidth={2} />
            {s.points.map((p) => (
              <circle key={p.month} cx={x(p.month)} cy={y(p.mean)} r={2.5} fill={c}>
                <title>{`${s.arm}, month ${p.month + 1}: ${fmt(p.mean)} (${fmt(p.lo)} to ${fmt(p.hi)})`}</title>
              </circle>
            ))}
            {drops[i] ? (
              <g data-liability={s.arm}>
                <line x1={x(drops[i]!.month)} x2={x(drops[i]!.month)} y1={y(drops[i]!.from)} y2={y(drops[i]!.to)} stroke={c} strokeWidth={2} strokeDasharray="4 3" />
                <circle cx={x(drops[i]!.month)} cy={y(drops[i]!.to)} r={3.5} fill="white" stroke={c} strokeWidth={2}>
                  <title>{`${s.arm}: less the outstanding points' liability of ${fmt(s.liability!)} per member (as of now): ${fmt(drops[i]!.to)}`}</title>
                </circle>
              </g>
            ) : null}
          </g>
        );
      })}
    </Frame>
  );
}

/** Incremental value per member in each month since assignment, per arm, with 95% intervals as whiskers. */
export function IncrementalByMonthChart({ rows, arms, unit, fmt }: { rows: { month: number; arm: string; lift: number; lo: number; hi: number }[]; arms: string[]; unit: string; fmt: (v: number) => string }) {
  const id = useId();
  const months = Math.max(1, ...rows.map((r) => r.month + 1));
  const all = rows.flatMap((r) => [r.lo, r.hi]).filter(Number.isFinite);
  const yTicks = niceTicks(Math.min(0, ...all), Math.max(1, ...all));
  const [y0, y1] = [yTicks[0]!, Math.max(yTicks[yTicks.length - 1]!, ...all)];
  const slot = (W - PAD.left - PAD.right) / months;
  const bw = Math.min(18, (slot * 0.8) / Math.max(1, arms.length));
  const x = (m: number) => PAD.left + (m + 0.5) * slot;
  const y = (v: number) => H - PAD.bottom - ((v - y0) / (y1 - y0 || 1)) * (H - PAD.top - PAD.bottom);
  const xTicks = Array.from({ length: months }, (_, m) => m).filter((m) => months <= 12 || m % 3 === 0).map((m) => ({ v: m, label: String(m + 1) }));
  const summary = arms.map((a) => `${a}: ${rows.filter((r) => r.arm === a).map((r) => fmt(r.lift)).join(", ")}`).join("; ");
  return (
    <Frame id={id} title={`Incremental value per member by month since assignment, vs control (${unit}, 95% interval)`} summary={summary} legend={arms.map((a, i) => ({ label: a, color: ARM_COLORS[(i + 1) % ARM_COLORS.length]! }))}>
      <Axes x={x} y={y} xLabel="Month since assignment" yLabel={`Incremental value (${unit})`} yTicks={yTicks} xTicks={xTicks} fmtY={fmt} />
      {rows.map((r) => {
        const i = arms.indexOf(r.arm);
        const c = ARM_COLORS[(i + 1) % ARM_COLORS.length]!;
        const cx = x(r.month) + (i - (arms.length - 1) / 2) * bw;
        const top = y(Math.max(0, r.lift));
        const h = Math.abs(y(r.lift) - y(0));
        return (
          <g key={`${r.arm}-${r.month}`}>
            <rect x={cx - bw / 2 + 1} y={top} width={bw - 2} height={Math.max(h, 1)} fill={c} fillOpacity={0.8}>
              <title>{`${r.arm}, month ${r.month + 1}: ${fmt(r.lift)} (${fmt(r.lo)} to ${fmt(r.hi)})`}</title>
            </rect>
            {Number.isFinite(r.lo) && Number.isFinite(r.hi) ? <line x1={cx} x2={cx} y1={y(r.lo)} y2={y(r.hi)} stroke="#1c1917" strokeWidth={1} /> : null}
          </g>
        );
      })}
    </Frame>
  );
}

/** Share of each arm's members per value bucket (grouped bars). */
export function DistributionChart({ edges, arms, unit, fmt, basis }: { edges: number[]; arms: { arm: string; counts: number[]; n: number }[]; unit: string; fmt: (v: number) => string; basis: string }) {
  const id = useId();
  const buckets = Math.max(0, edges.length - 1);
  const shares = arms.map((a) => a.counts.map((c) => (a.n ? c / a.n : 0)));
  const maxShare = Math.max(0.01, ...shares.flat());
  const yTicks = niceTicks(0, maxShare);
  const y1 = Math.max(yTicks[yTicks.length - 1]!, maxShare);
  const slot = (W - PAD.left - PAD.right) / Math.max(1, buckets);
  const bw = (slot * 0.85) / Math.max(1, arms.length);
  const x = (b: number) => PAD.left + b * slot;
  const y = (v: number) => H - PAD.bottom - (v / y1) * (H - PAD.top - PAD.bottom);
  const xTicks = edges.map((e, i) => ({ v: i, label: fmt(e) })).filter((_, i) => i % 4 === 0);
  return (
    <Frame id={id} title={`Distribution of ${basis} per member (${unit})`} summary={arms.map((a) => `${a.arm}: ${a.n} members`).join("; ")} legend={arms.map((a, i) => ({ label: a.arm, color: ARM_COLORS[i % ARM_COLORS.length]! }))}>
      <Axes x={x} y={y} xLabel={`Value per member (${unit}); the outer buckets include the 1% tails`} yLabel="Share of the arm" yTicks={yTicks} xTicks={xTicks} fmtY={(v) => `${Math.round(v * 100)}%`} />
      {shares.map((s, i) =>
        s.map((v, b) => (
          <rect key={`${i}-${b}`} x={x(b) + slot * 0.075 + i * bw} y={y(v)} width={Math.max(1, bw - 1)} height={H - PAD.bottom - y(v)} fill={ARM_COLORS[i % ARM_COLORS.length]}>
            <title>{`${arms[i]!.arm}: ${(v * 100).toFixed(1)}% between ${fmt(edges[b]!)} and ${fmt(edges[b + 1]!)}`}</title>
          </rect>
        )),
      )}
    </Frame>
  );
}
