/**
 * The numbers behind a chart, for screen readers: one row per period, one column per series. sr-only on a wrapper,
 * because a table ignores `width: 1px` and would widen the page on a phone.
 */
export function ChartDataTable({
  caption,
  rowHeader,
  columns,
  rows,
}: {
  caption: string;
  rowHeader: string;
  columns: readonly { key: string; label: string }[];
  rows: { label: string; cells: string[] }[];
}) {
  return (
    <div className="sr-only">
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{rowHeader}</th>
            {columns.map((c) => (
              <th key={c.key} scope="col">
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={`${r.label}-${i}`}>
              <th scope="row">{r.label}</th>
              {r.cells.map((cell, j) => (
                <td key={columns[j]?.key ?? j}>{cell}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
