import { useId } from "react";
import { useScrollRegion } from "~/components/ui/scroll-region";

export interface Bar {
  /** Short label under the bar (e.g. "Jan"). */
  label: string;
  /** Full label for screen readers and tooltips (e.g. "January 2026"). */
  longLabel?: string;
  value: number;
}

/**
 * A plain server-rendered SVG bar chart. The SVG is an image with a text summary; the exact figures are in a
 * visually hidden table so screen readers get the data, not a picture of it.
 */
export function BarChart({
  title,
  bars,
  valueLabel,
  height = 180,
  formatValue = (v) => v.toLocaleString("en-US"),
}: {
  title: string;
  bars: Bar[];
  valueLabel: string;
  height?: number;
  formatValue?: (v: number) => string;
}) {
  const id = useId();
  const region = useScrollRegion<HTMLDivElement>(`${id}-title`);
  const max = Math.max(1, ...bars.map((b) => b.value));
  const barWidth = 24;
  const gap = 8;
  const axis = 20; // room for the labels under the bars
  const top = 14; // room for the max label
  const width = bars.length * (barWidth + gap) + gap;
  const plot = height - axis - top;
  const total = bars.reduce((s, b) => s + b.value, 0);
  const peak = bars.reduce<Bar | null>((best, b) => (!best || b.value > best.value ? b : best), null);
  const summary = `${title}: ${formatValue(total)} ${valueLabel} in total${peak && peak.value > 0 ? `; highest ${formatValue(peak.value)} in ${peak.longLabel ?? peak.label}` : ""}.`;
  // Label every bar when there are few, otherwise every third so labels never overlap.
  const labelEvery = bars.length > 12 ? 3 : 1;

  return (
    <figure>
      <figcaption id={`${id}-title`} className="mb-2 text-sm font-medium text-stone-700">
        {title}
      </figcaption>
      {/* Scrolls sideways on phones rather than shrinking the labels (and is then focusable, to scroll by keyboard). */}
      <div className="overflow-x-auto" {...region}>
        <svg
          role="img"
          aria-labelledby={`${id}-title ${id}-desc`}
          viewBox={`0 0 ${width} ${height}`}
          className="h-auto w-full min-w-[480px]"
          preserveAspectRatio="xMinYMin meet"
        >
          <desc id={`${id}-desc`}>{summary}</desc>
          <line x1={0} x2={width} y1={top + plot} y2={top + plot} className="stroke-stone-300" strokeWidth={1} />
          <text x={2} y={10} className="fill-stone-500" fontSize={9}>
            {formatValue(max)}
          </text>
          <line x1={0} x2={width} y1={top} y2={top} className="stroke-stone-200" strokeDasharray="3 3" strokeWidth={1} />
          {bars.map((b, i) => {
            const h = Math.round((b.value / max) * plot);
            const x = gap + i * (barWidth + gap);
            return (
              <g key={`${b.label}-${i}`}>
                <rect x={x} y={top + plot - h} width={barWidth} height={Math.max(h, b.value > 0 ? 1 : 0)} rx={2} className="fill-brand-500">
                  <title>{`${b.longLabel ?? b.label}: ${formatValue(b.value)} ${valueLabel}`}</title>
                </rect>
                {i % labelEvery === 0 ? (
                  <text x={x + barWidth / 2} y={height - 6} textAnchor="middle" className="fill-stone-500" fontSize={9}>
                    {b.label}
                  </text>
                ) : null}
              </g>
            );
          })}
        </svg>
      </div>
      <table className="sr-only">
        <caption>{title}</caption>
        <thead>
          <tr>
            <th scope="col">Period</th>
            <th scope="col">{valueLabel}</th>
          </tr>
        </thead>
        <tbody>
          {bars.map((b, i) => (
            <tr key={`${b.label}-${i}`}>
              <th scope="row">{b.longLabel ?? b.label}</th>
              <td>{formatValue(b.value)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
