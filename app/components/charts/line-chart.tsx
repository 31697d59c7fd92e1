import { useId } from "react";
import { useScrollRegion } from "~/components/ui/scroll-region";
import { ChartDataTable } from "./data-table";

export interface LineSeries {
  key: string;
  label: string;
  /** Tailwind stroke/fill classes for the line and its points (kept literal so Tailwind sees them). */
  stroke: string;
  fill: string;
  /** Dashed lines tell series apart without colour (WCAG 1.4.1). */
  dash?: string;
}

export interface LinePoint {
  /** Short label on the x axis ("Mar 3") and the full one for screen readers ("Week of March 3, 2026"). */
  label: string;
  longLabel: string;
  values: Record<string, number>;
}

/** Round axis maxima and steps (1, 2, 5 × 10^n), so gridlines fall on numbers people read at a glance. */
export function niceTicks(max: number, count = 4): number[] {
  if (max <= 0) return [0, 1];
  const rough = max / count;
  const mag = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= rough) ?? 10 * mag;
  const stepInt = Math.max(1, Math.round(step));
  const ticks: number[] = [];
  for (let v = 0; v < max + stepInt; v += stepInt) ticks.push(v);
  return ticks;
}

/**
 * Several series over the same time axis, with a y axis (ticks and gridlines), an x axis (period labels) and a
 * legend. Like the other charts, the SVG is an image with a text summary and the figures are in a visually
 * hidden table.
 */
export function LineChart({
  title,
  series,
  points,
  valueLabel,
  height = 260,
  formatValue = (v) => v.toLocaleString("en-US"),
}: {
  title: string;
  series: LineSeries[];
  points: LinePoint[];
  valueLabel: string;
  height?: number;
  formatValue?: (v: number) => string;
}) {
  const id = useId();
  const region = useScrollRegion<HTMLDivElement>(`${id}-title`);
  const max = Math.max(0, ...points.flatMap((p) => series.map((s) => p.values[s.key] ?? 0)));
  const ticks = niceTicks(max);
  const top = ticks[ticks.length - 1]!;
  const left = 44; // room for the y-axis labels
  const right = 12;
  const upper = 12;
  const bottom = 28; // room for the x-axis labels
  const step = 56;
  const width = left + right + Math.max(1, points.length - 1) * step;
  const plot = height - upper - bottom;
  const x = (i: number) => left + (points.length === 1 ? 0 : i * step);
  const y = (v: number) => upper + plot - (v / top) * plot;
  const labelEvery = points.length > 14 ? 2 : 1;
  const totals = series.map((s) => `${formatValue(points.reduce((t, p) => t + (p.values[s.key] ?? 0), 0))} ${s.label.toLowerCase()}`);
  const summary = `${title}: ${totals.join(", ")} in total.`;

  return (
    <figure>
      <figcaption id={`${id}-title`} className="mb-2 text-sm font-medium text-stone-700">
        {title}
      </figcaption>
      <ul aria-label="Legend" className="mb-2 flex flex-wrap gap-x-4 gap-y-1 text-xs text-stone-600">
        {series.map((s) => (
          <li key={s.key} className="inline-flex items-center gap-1.5">
            <svg aria-hidden width="22" height="8" className="overflow-visible">
              <line x1="0" x2="22" y1="4" y2="4" className={s.stroke} strokeWidth={2.5} strokeDasharray={s.dash} />
            </svg>
            {s.label}
          </li>
        ))}
      </ul>
      <div className="overflow-x-auto" {...region}>
        <svg
          role="img"
          aria-labelledby={`${id}-title ${id}-desc`}
          viewBox={`0 0 ${width} ${height}`}
          className="h-auto w-full min-w-[560px]"
          preserveAspectRatio="xMinYMin meet"
        >
          <desc id={`${id}-desc`}>{summary}</desc>
          {/* y axis: gridlines and labels */}
          {ticks.map((t) => (
            <g key={t}>
              <line x1={left} x2={width - right} y1={y(t)} y2={y(t)} className={t === 0 ? "stroke-stone-400" : "stroke-stone-200"} strokeWidth={1} strokeDasharray={t === 0 ? undefined : "3 3"} />
              <text x={left - 6} y={y(t) + 3} textAnchor="end" className="fill-stone-600" fontSize={10}>
                {formatValue(t)}
              </text>
            </g>
          ))}
          <line x1={left} x2={left} y1={upper} y2={upper + plot} className="stroke-stone-400" strokeWidth={1} />
          <text x={4} y={upper - 2} className="fill-stone-600" fontSize={9}>
            {valueLabel}
          </text>
          {/* x axis labels */}
          {points.map((p, i) =>
            i % labelEvery === 0 ? (
              <text key={`${p.label}-${i}`} x={x(i)} y={height - 10} textAnchor="middle" className="fill-stone-600" fontSize={10}>
                {p.label}
              </text>
            ) : null,
          )}
          {series.map((s) => (
            <g key={s.key}>
              <polyline
                points={points.map((p, i) => `${x(i)},${y(p.values[s.key] ?? 0)}`).join(" ")}
                fill="none"
                className={s.stroke}
                strokeWidth={2}
                strokeDasharray={s.dash}
                strokeLinejoin="round"
              />
              {points.map((p, i) => (
                <circle key={i} cx={x(i)} cy={y(p.values[s.key] ?? 0)} r={3} className={s.fill}>
                  <title>{`${p.longLabel}: ${formatValue(p.values[s.key] ?? 0)} ${s.label.toLowerCase()}`}</title>
                </circle>
              ))}
            </g>
          ))}
        </svg>
      </div>
      <ChartDataTable
        caption={title}
        rowHeader="Period"
        columns={series}
        rows={points.map((p) => ({ label: p.longLabel, cells: series.map((s) => formatValue(p.values[s.key] ?? 0)) }))}
      />
    </figure>
  );
}
