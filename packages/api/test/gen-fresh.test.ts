import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatedDifferences, STALE } from './gen-compare.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const committedDir = join(packageDir, 'src', 'gen');

describe('generated code', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'flotilla-gen-'));
  const freshDir = join(workDir, 'fresh');
  beforeAll(() => {
    execFileSync('bash', [join(packageDir, 'scripts', 'gen-proto.sh'), freshDir], { stdio: 'pipe' });
  });
  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  it('src/gen matches a fresh run of scripts/gen-proto.sh', () => {
    const problems = generatedDifferences(freshDir, committedDir);
    expect(problems, `${STALE}\n${problems.join('\n')}`).toEqual([]);
  });

  it('the comparison notices an edited, a missing and a leftover file', () => {
    const stale = join(workDir, 'stale');
    cpSync(freshDir, stale, { recursive: true });
    expect(generatedDifferences(freshDir, stale)).toEqual([]);
    appendFileSync(join(stale, 'flotilla', 'service.ts'), '\n// hand edit\n');
    unlinkSync(join(stale, 'flotilla', 'task.ts'));
    writeFileSync(join(stale, 'flotilla', 'gone.ts'), 'export {};\n');
    expect(generatedDifferences(freshDir, stale)).toEqual([
      'flotilla/service.ts differs',
      'flotilla/task.ts is missing',
      'flotilla/gone.ts has no .proto any more',
    ]);
  });
});
