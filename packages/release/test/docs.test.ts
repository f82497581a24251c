import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeCli, flattenCommands } from '@flotilla/cli';
import { tableCommands } from '../src/command-table.js';
import { missingPaths, namedPaths } from '../src/doc-paths.js';
import { WORKSPACE_ROOT } from '../src/workspace.js';

const commandsOfTheCli = flattenCommands(describeCli())
  .filter((c) => c.children.length === 0)
  .map((c) => c.path.join(' '));

describe('docs/docker-to-flotilla.md', () => {
  const table = tableCommands(readFileSync(join(WORKSPACE_ROOT, 'docs/docker-to-flotilla.md'), 'utf8'));

  it('has a row for every command of the CLI (a new command needs a row)', () => {
    expect(commandsOfTheCli.filter((c) => !table.includes(c)), 'commands without a row').toEqual([]);
  });

  it('names no command the CLI lacks, and each once', () => {
    expect(table.filter((c) => !commandsOfTheCli.includes(c)), 'rows naming no CLI command').toEqual([]);
    expect(table.filter((c, i) => table.indexOf(c) !== i), 'rows given twice').toEqual([]);
  });

  it('reads the table the way the checks above rely on', () => {
    const doc = ['<!-- commands: x -->', '| docker | flotilla | notes |', '|---|---|---|', '| `docker a` | `flotilla swarm join-token` | `-q` |', '| `docker b` | `flotilla node ls` `-q` | |', '| `docker c` | `flotilla service create --replicas 3 IMAGE` | |', '<!-- /commands -->', '| `docker d` | `flotilla outside` | |'].join('\n');
    expect(tableCommands(doc)).toEqual(['swarm join-token', 'node ls', 'service create']);
    expect(() => tableCommands('| `docker a` | `flotilla b` |')).toThrow(/markers/);
  });
});

describe('paths named by READMEs and docs', () => {
  it('every relative path a README or doc names exists', () => {
    const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.md'], { cwd: WORKSPACE_ROOT, encoding: 'utf8' })
      .split('\n')
      .filter((f) => f !== '' && !f.includes('node_modules/'));
    expect(files).toContain('docs/operations.md');
    const missing = files.flatMap((f) => missingPaths(readFileSync(join(WORKSPACE_ROOT, f), 'utf8'), f, WORKSPACE_ROOT).map((p) => `${f}:${p.line}: ${p.text}`));
    expect(missing).toEqual([]);
  });

  it('finds links and root-relative code spans, and reports the missing ones', () => {
    const md = [
      'See [ops](operations.md#backup) and [home](https://example.org/x) and [top](#top).',
      'Code: `packages/cli/src/program.ts`, `packages/<pkg>/README.md`, `npm test`.',
      'Leaves the checkout: [design](../../shared/DESIGN.md).',
      '```',
      '[not a link](nowhere.md) `packages/nowhere`',
      '```',
      'Gone: [x](gone.md) and `apps/nowhere/file.ts`.',
    ].join('\n');
    expect(namedPaths(md, 'docs/a.md').map((p) => p.text)).toEqual(['operations.md#backup', 'packages/cli/src/program.ts', 'gone.md', 'apps/nowhere/file.ts']);
    const exists = (p: string) => ['/r/docs/operations.md', '/r/packages/cli/src/program.ts'].includes(p);
    expect(missingPaths(md, 'docs/a.md', '/r', exists).map((p) => `${p.line}: ${p.text}`)).toEqual(['7: gone.md', '7: apps/nowhere/file.ts']);
  });
});
