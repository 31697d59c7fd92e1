import { useId } from "react";

/**
 * Small SVG charts for the CLTV page: a histogram and a grouped bar chart, with axes, tick labels and a legend.
 * Each is an <svg role="img"> with a title and a description; the page also shows the numbers in a table.
 */

const W = 640;
const H = 260;
const M = { top: 16, right: 16, bottom: 48, left: 56 };
const PLOT_W = W - M.left - M.right;
const PLOT_H = H - M.top - M.bottom;

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function YAxis({ max, label, format }: { max: number; label: string; format: (v: number) => string }) {
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * max);
  return (
    <g>
      {ticks.map((t) => {
        const y = M.top + PLOT_H - (t / max) * PLOT_H;
        return (
          <g key={t}>
            <line x1={M.left} x2={M.left + PLOT_W} y1={y} y2={y} stroke="#e7e5e4" />
            <text x={M.left - 6} y={y + 4} textAnchor="end" fontSize="11" fill="#57534e">
              {format(t)}
            </text>
          </g>
        );
      })}
      <text x={14} y={M.top + PLOT_H / 2} transform={`rotate(-90 14 ${M.top + PLOT_H / 2})`} textAnchor="middle" fontSize="12" fill="#44403c">
        {label}
      </text>
    </g>
  );
}

function Legend({ items }: { items: Array<{ label: string; color: string }> }) {
  return (
    <ul className="mt-2 flex flex-wrap gap-4 text-xs text-stone-700">
      {items.map((i) => (
        <li key={i.label} className="flex items-center gap-1.5">
          <span aria-hidden className="inline-block size-3 rounded-sm" style={{ background: i.color }} />
          {i.label}
        </li>
      ))}
    </ul>
  );
}

export function Histogram({
  title,
  description,
  counts,
  binLabel,
  xLabel,
  color = "#7c4a2d",
}: {
  title: string;
  description: string;
  counts: number[];
  /** Label of bin i's lower edge. */
  binLabel: (i: number) => string;
  xLabel: string;
  color?: string;
}) {
  const id = useId();
  const max = niceMax(Math.max(...counts, 1));
  const bw = PLOT_W / Math.max(1, counts.length);
  const every = Math.ceil(counts.length / 5);
  return (
    <figure>
      <svg viewBox={`0 0 ${W} ${H}`} className="h-auto w-full" role="img" aria-labelledby={`${id}-t ${id}-d`}>
        <title id={`${id}-t`}>{title}</title>
        <desc id={`${id}-d`}>{description}</desc>
        <YAxis max={max} label="Members" format={(v) => (v >= 1000 ? `${(v / 1000).toFixed(v % 1000 ? 1 : 0)}k` : String(Math.round(v)))} />
        {counts.map((n, i) => {
          const h = (n / max) * PLOT_H;
          return <rect key={i} x={M.left + i * bw + 1} y={M.top + PLOT_H - h} width={Math.max(1, bw - 2)} height={h} fill={color} />;
        })}
        <line x1={M.left} x2={M.left + PLOT_W} y1={M.top + PLOT_H} y2={M.top + PLOT_H} stroke="#78716c" />
        {counts.map((_, i) =>
          i % every === 0 ? (
            <text key={i} x={M.left + i * bw} y={M.top + PLOT_H + 16} textAnchor="middle" fontSize="11" fill="#57534e">
              {binLabel(i)}
            </text>
          ) : null,
        )}
        <text x={M.left + PLOT_W / 2} y={H - 8} textAnchor="middle" fontSize="12" fill="#44403c">
          {xLabel}
        </text>
      </svg>
      <Legend items={[{ label: "Members in each range", color }]} />
    </figure>
  );
}

export interface BarSeries {
  label: string;
  color: string;
  values: number[];
}

/** Bars grouped by category (e.g. calibration purchases 0 … 7+), one bar per series. */
export function GroupedBars({
  title,
  description,
  categories,
  series,
  xLabel,
  yLabel,
  format,
}: {
  title: string;
  description: string;
  categories: string[];
  series: BarSeries[];
  xLabel: string;
  yLabel: string;
  format: (v: number) => string;
}) {
  const id = useId();
  const max = niceMax(Math.max(...series.flatMap((s) => s.values), 0));
  const gw = PLOT_W / Math.max(1, categories.length);
  const bw = (gw * 0.8) / Math.max(1, series.length);
  return (
    <figure>
      <svg viewBox={`0 0 ${W} ${H}`} className="h-auto w-full" role="img" aria-labelledby={`${id}-t ${id}-d`}>
        <title id={`${id}-t`}>{title}</title>
        <desc id={`${id}-d`}>{description}</desc>
        <YAxis max={max} label={yLabel} format={format} />
        {categories.map((c, i) => (
          <g key={c}>
            {series.map((s, j) => {
              const v = s.values[i] ?? 0;
              const h = (v / max) * PLOT_H;
              return <rect key={s.label} x={M.left + i * gw + gw * 0.1 + j * bw} y={M.top + PLOT_H - h} width={Math.max(1, bw - 1)} height={h} fill={s.color} />;
            })}
            <text x={M.left + i * gw + gw / 2} y={M.top + PLOT_H + 16} textAnchor="middle" fontSize="11" fill="#57534e">
              {c}
            </text>
          </g>
        ))}
        <line x1={M.left} x2={M.left + PLOT_W} y1={M.top + PLOT_H} y2={M.top + PLOT_H} stroke="#78716c" />
        <text x={M.left + PLOT_W / 2} y={H - 8} textAnchor="middle" fontSize="12" fill="#44403c">
          {xLabel}
        </text>
      </svg>
      <Legend items={series.map((s) => ({ label: s.label, color: s.color }))} />
    </figure>
  );
}
