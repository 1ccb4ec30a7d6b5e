/** Rows as psql aligns them: a header, a rule, then one line per row. */
export function table(columns: string[], rows: string[][]): string[] {
  const widths = columns.map((column, i) => Math.max(column.length, ...rows.map((cells) => (cells[i] ?? "").length)));
  const line = (cells: string[]) => ` ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(" | ")}`.trimEnd();
  return [line(columns), widths.map((width) => "-".repeat(width + 2)).join("+"), ...rows.map(line)];
}
