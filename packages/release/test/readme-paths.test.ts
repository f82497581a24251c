import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { namedSourceFiles, sourceFileExists } from '../src/doc-paths.js';
import { WORKSPACE_ROOT } from '../src/workspace.js';

// READMEs name their package's source files in backticks (`src/filters/constraint.ts`,
// `test/e2e/x.test.ts`); a rename that forgets the README leaves a reader looking for a file that
// is gone. Root-relative paths and links are docs.test.ts's check; this is the package-relative kind.
describe('source files a README names', () => {
  it('picks package-relative source paths out of backticks, and leaves commands, globs, runtime files and root paths alone', () => {
    expect(namedSourceFiles('see `src/a.ts`, `x.test.ts:12`, `npm test`, `*.ts`, `state.json`, `/etc/x.yml`, `.proto`, `http://h/a.md`, `packages/cli/src/x.ts`')).toEqual([
      'src/a.ts',
      'x.test.ts',
    ]);
  });

  it('resolves beside the README, up its folders, or as the tail of a tracked file', () => {
    const files = new Set(['packages/cli/src/a.ts', 'CONTRIBUTING.md']);
    const exists = (p: string) => files.has(p);
    expect(sourceFileExists('src/a.ts', 'packages/cli', [], exists)).toBe(true);
    expect(sourceFileExists('CONTRIBUTING.md', 'packages/cli', [], exists)).toBe(true);
    expect(sourceFileExists('test/e2e/b.test.ts', 'packages/ca', ['apps/flotillad/test/e2e/b.test.ts'], exists)).toBe(true);
    expect(sourceFileExists('src/gone.ts', 'packages/cli', ['packages/cli/src/a.ts'], exists)).toBe(false);
  });

  it('every source file a README names exists', () => {
    const tracked = execFileSync('git', ['ls-files'], { cwd: WORKSPACE_ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
    const readmes = tracked.filter((f) => f.endsWith('README.md'));
    expect(readmes.length).toBeGreaterThan(20);
    const exists = (p: string) => existsSync(join(WORKSPACE_ROOT, p));
    const missing = readmes.flatMap((readme) =>
      namedSourceFiles(readFileSync(join(WORKSPACE_ROOT, readme), 'utf8'))
        .filter((name) => !sourceFileExists(name, dirname(readme), tracked, exists))
        .map((name) => `${readme} names ${name}`),
    );
    expect(missing).toEqual([]);
  });
});
