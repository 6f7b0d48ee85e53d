import { type CliContext, print } from '../context.js';

/** A table cell; a missing value shows as "-". */
export type Cell = string | number | null | undefined;

/** Prints rows as aligned columns, two spaces apart; the first row is the header. */
export function printTable(c: CliContext, rows: Cell[][]): void {
  const cells = rows.map((r) => r.map((x) => (x === null || x === undefined ? '-' : String(x))));
  const widths = cells[0]?.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length))) ?? [];
  for (const r of cells)
    print(
      c,
      r
        .map((x, i) => x.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    );
}

/** A list as JSON with --json, else as an aligned table with a header row. */
export function printList<T>(
  c: CliContext,
  json: boolean | undefined,
  items: T[],
  header: string[],
  row: (item: T) => Cell[],
): void {
  if (json) print(c, JSON.stringify(items));
  else printTable(c, [header, ...items.map(row)]);
}

/** A metric or count as a table shows it: whole numbers as they are, fractions to four places. */
export const formatValue = (v: unknown) =>
  typeof v === 'number'
    ? Number.isInteger(v)
      ? String(v)
      : v.toFixed(4)
    : v === undefined
      ? '-'
      : JSON.stringify(v);
