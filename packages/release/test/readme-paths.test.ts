import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WORKSPACE_ROOT } from '../src/workspace.js';

// READMEs name source files in backticks (`src/filters/constraint.ts`, `test/e2e/x.test.ts`);
// a rename that forgets the README leaves a reader looking for a file that is gone. Runtime
// files (`state.json`, `config.json`: written by the daemon, not in the repository) are not
// source, so .json is not checked; neither are globs, commands or absolute paths.
const ROOT = resolve(WORKSPACE_ROOT); // without the trailing slash
const SOURCE = /\.(ts|sh|md|yml|yaml|proto|c|py|j2)$/;

function trackedFiles(): string[] {
  return execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
}

/** Backticked tokens of a README that name a source file. Pure. */
function namedSourcePaths(markdown: string): string[] {
  const names: string[] = [];
  for (const m of markdown.matchAll(/`([^`\n]+)`/g)) {
    const token = m[1]!.trim();
    if (/[\s*{}<>$=…]|:\/\/|^[-/.]|^\w+:/.test(token)) continue;
    const path = token.split(':')[0]!;
    if (SOURCE.test(path)) names.push(path);
  }
  return names;
}

/** Whether a named path is a file: beside the README, up its folders, or any tracked file it ends. */
function resolves(readmeDir: string, path: string, tracked: readonly string[]): boolean {
  for (let dir = readmeDir; dir.startsWith(ROOT); dir = dirname(dir)) {
    if (existsSync(join(dir, path))) return true;
    if (dir === ROOT) break;
  }
  return tracked.some((f) => `/${f}`.endsWith(`/${path}`));
}

describe('README paths', () => {
  it('picks source paths out of backticks, and leaves commands, globs and runtime files alone', () => {
    expect(namedSourcePaths('see `src/a.ts`, `x.test.ts:12`, `npm test`, `*.ts`, `state.json`, `/etc/x.yml`, `.proto`, `http://h/a.md`')).toEqual([
      'src/a.ts',
      'x.test.ts',
    ]);
  });

  it('every source file a README names exists', () => {
    const tracked = trackedFiles();
    const readmes = tracked.filter((f) => f.endsWith('README.md'));
    expect(readmes.length).toBeGreaterThan(20);
    const missing: string[] = [];
    for (const readme of readmes) {
      const dir = join(ROOT, dirname(readme));
      for (const path of namedSourcePaths(readFileSync(join(ROOT, readme), 'utf8'))) {
        if (!resolves(dir, path, tracked)) missing.push(`${readme} names ${path}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
