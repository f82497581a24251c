import Table from 'cli-table3';

// Docker lays tables out with Go's tabwriter(minwidth 10, padding 3): no borders, every
// column but the last at least 10 wide and 3 spaces wider than its widest cell.
const MIN_COLUMN_WIDTH = 10;
const COLUMN_GAP = 3;

const NO_BORDERS = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '',
};

/** Renders rows under upper-case headers the way `docker node ls` / `docker service ls` do. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  for (const row of rows) {
    if (row.length !== headers.length) {
      throw new Error(`table row has ${row.length} cells, expected ${headers.length} (${headers.join(', ')})`);
    }
  }
  const widths = headers.map((header, col) => {
    const widest = Math.max(header.length, ...rows.map((row) => (row[col] ?? '').length));
    return col === headers.length - 1 ? Math.max(widest, 1) : Math.max(MIN_COLUMN_WIDTH, widest + COLUMN_GAP);
  });
  const table = new Table({
    head: [...headers],
    chars: NO_BORDERS,
    colWidths: widths,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0, compact: true },
  });
  table.push(...rows.map((row) => [...row]));
  return (
    table
      .toString()
      .split('\n')
      .map((line) => line.trimEnd())
      .join('\n') + '\n'
  );
}
