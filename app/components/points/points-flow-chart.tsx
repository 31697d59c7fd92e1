import { useId } from "react";
import { useScrollRegion } from "~/components/ui/scroll-region";
import { ChartDataTable } from "~/components/charts/data-table";

export interface FlowMonth {
  /** Short label under the group ("Mar ’26") and the full one for screen readers ("March 2026"). */
  label: string;
  longLabel: string;
  issued: number;
  redeemed: number;
  expired: number;
}

const SERIES = [
  { key: "issued", label: "Issued", fill: "fill-brand-500", swatch: "bg-brand-500" },
  { key: "redeemed", label: "Redeemed", fill: "fill-emerald-600", swatch: "bg-emerald-600" },
  { key: "expired", label: "Expired", fill: "fill-amber-500", swatch: "bg-amber-500" },
] as const;

/**
 * Points issued, redeemed and expired per month as grouped bars, one group per month: the three flows share one
 * scale so they can be compared. Like BarChart, the SVG is an image with a text summary and the figures are in a
 * visually hidden table.
 */
export function PointsFlowChart({ title, months, height = 240 }: { title: string; months: FlowMonth[]; height?: number }) {
  const id = useId();
  const region = useScrollRegion<HTMLDivElement>(`${id}-title`);
  const n = (v: number) => v.toLocaleString("en-US");
  const max = Math.max(1, ...months.flatMap((m) => [m.issued, m.redeemed, m.expired]));
  const bar = 16;
  const groupGap = 26;
  const group = SERIES.length * bar + groupGap;
  const axis = 24;
  const top = 18;
  const width = months.length * group + groupGap;
  const plot = height - axis - top;
  const totals = SERIES.map((s) => `${n(months.reduce((t, m) => t + m[s.key], 0))} ${s.label.toLowerCase()}`);
  const summary = `${title}: ${totals.join(", ")} points in total.`;

  return (
    <figure>
      <figcaption id={`${id}-title`} className="mb-2 flex flex-wrap items-center gap-x-4 gap-y-1 text-sm font-medium text-stone-700">
        <span>{title}</span>
        {SERIES.map((s) => (
          <span key={s.key} className="inline-flex items-center gap-1.5 text-xs font-normal text-stone-600">
            <span aria-hidden className={`inline-block size-2.5 rounded-sm ${s.swatch}`} />
            {s.label}
          </span>
        ))}
      </figcaption>
      <div className="overflow-x-auto" {...region}>
        <svg
          role="img"
          aria-labelledby={`${id}-title ${id}-desc`}
          viewBox={`0 0 ${width} ${height}`}
          className="h-auto w-full min-w-[720px]"
          preserveAspectRatio="xMinYMin meet"
        >
          <desc id={`${id}-desc`}>{summary}</desc>
          <line x1={0} x2={width} y1={top + plot} y2={top + plot} className="stroke-stone-300" strokeWidth={1} />
          <line x1={0} x2={width} y1={top} y2={top} className="stroke-stone-200" strokeDasharray="3 3" strokeWidth={1} />
          <text x={2} y={12} className="fill-stone-500" fontSize={11}>
            {n(max)}
          </text>
          {months.map((m, i) => {
            const x0 = groupGap + i * group;
            return (
              <g key={`${m.label}-${i}`}>
                {SERIES.map((s, j) => {
                  const v = m[s.key];
                  const h = Math.round((v / max) * plot);
                  return (
                    <rect key={s.key} x={x0 + j * bar} y={top + plot - h} width={bar - 1} height={Math.max(h, v > 0 ? 1 : 0)} rx={1} className={s.fill}>
                      <title>{`${m.longLabel}: ${n(v)} points ${s.label.toLowerCase()}`}</title>
                    </rect>
                  );
                })}
                <text x={x0 + (SERIES.length * bar) / 2} y={height - 7} textAnchor="middle" className="fill-stone-500" fontSize={11}>
                  {m.label}
                </text>
              </g>
            );
          })}
        </svg>
      </div>
      <ChartDataTable
        caption={title}
        rowHeader="Month"
        columns={SERIES}
        rows={months.map((m) => ({ label: m.longLabel, cells: SERIES.map((s) => n(m[s.key])) }))}
      />
    </figure>
  );
}
