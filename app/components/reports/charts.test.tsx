import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { CumulativeValueChart, type CumulativeSeries } from "./charts";

/** The outstanding points' liability is its own line in the cumulative chart (issue 16 §1), not only a table row. */

const fmt = (v: number) => v.toFixed(2);
const points = [
  { month: 0, mean: 2, lo: 1, hi: 3 },
  { month: 1, mean: 5, lo: 3, hi: 7 },
];

describe("CumulativeValueChart's liability line", () => {
  it("draws a dashed drop from the arm's last value by its liability per member, in the legend and the summary", () => {
    const series: CumulativeSeries[] = [
      { arm: "control", points, liability: 0 },
      { arm: "treatment", points, liability: 1.25 },
    ];
    const html = renderToStaticMarkup(<CumulativeValueChart series={series} unit="USD" fmt={fmt} />);
    expect(html).toContain('data-liability="treatment"');
    expect(html).not.toContain('data-liability="control"');
    expect(html).toContain("stroke-dasharray");
    expect(html).toContain("Less the outstanding points&#x27; liability: treatment 3.75 (liability 1.25).");
    expect(html).toContain("dashed: less the outstanding points&#x27; liability (as of now)");
    expect(html).toContain("treatment: less the outstanding points&#x27; liability of 1.25 per member (as of now): 3.75");
  });

  it("a liability below the chart's range widens the axis to show it", () => {
    const deep = renderToStaticMarkup(<CumulativeValueChart series={[{ arm: "treatment", points, liability: 20 }]} unit="USD" fmt={fmt} />);
    // -15 must be on the axis: a tick at or below it.
    const ticks = [...deep.matchAll(/text-anchor="end">(-?[\d.]+)</g)].map((m) => Number(m[1]));
    expect(Math.min(...ticks)).toBeLessThanOrEqual(-15);
  });

  it("no liability, no line and no legend entry", () => {
    const html = renderToStaticMarkup(<CumulativeValueChart series={[{ arm: "treatment", points }]} unit="USD" fmt={fmt} />);
    expect(html).not.toContain("data-liability");
    expect(html).not.toContain("liability");
  });
});
