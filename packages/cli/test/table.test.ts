import { describe, expect, it } from 'vitest';
import { renderTable } from '../src/output/table.js';

describe('renderTable', () => {
  it('lays columns out like docker: no borders, min width 10, 3 spaces after the widest cell', () => {
    const out = renderTable(
      ['ID', 'NAME', 'MODE', 'REPLICAS'],
      [
        ['x1n0k2', 'frontend', 'replicated', '3/3'],
        ['9zq', 'prometheus-long-name', 'global', '5/5'],
      ],
    );
    expect(out).toBe(
      'ID        NAME                   MODE         REPLICAS\n' +
        'x1n0k2    frontend               replicated   3/3\n' +
        '9zq       prometheus-long-name   global       5/5\n',
    );
  });

  it('prints just the header line for no rows', () => {
    expect(renderTable(['ID', 'HOSTNAME'], [])).toBe('ID        HOSTNAME\n');
  });

  it('never truncates a long last column and leaves no trailing spaces', () => {
    const long = 'a'.repeat(120);
    const out = renderTable(['ID', 'IMAGE'], [['1', long], ['2', 'b']]);
    const lines = out.trimEnd().split('\n');
    expect(lines[1]).toBe(`1         ${long}`);
    expect(lines[2]).toBe('2         b');
    for (const line of lines) expect(line).toBe(line.trimEnd());
  });

  it('refuses a row whose cell count does not match the headers', () => {
    expect(() => renderTable(['ID', 'NAME'], [['only-one']])).toThrow('table row has 1 cells, expected 2 (ID, NAME)');
  });
});
