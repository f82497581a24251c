import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const committedDir = join(packageDir, 'src', 'gen');
const STALE = 'src/gen is stale: run packages/api/scripts/gen-proto.sh';

function listFiles(root: string, dir = root): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...listFiles(root, full));
    else out.push(relative(root, full));
  }
  return out.sort();
}

describe('generated code', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'flotilla-gen-'));
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('src/gen matches a fresh run of scripts/gen-proto.sh', () => {
    execFileSync('bash', [join(packageDir, 'scripts', 'gen-proto.sh'), outDir], { stdio: 'pipe' });
    const fresh = listFiles(outDir);
    const committed = listFiles(committedDir);
    expect(fresh.length, 'the gen script produced no files').toBeGreaterThan(0);
    expect(committed, `${STALE} (file list differs)`).toEqual(fresh);
    for (const file of fresh) {
      const want = readFileSync(join(outDir, file), 'utf8');
      const have = readFileSync(join(committedDir, file), 'utf8');
      expect(have === want, `${STALE} (${file} differs)`).toBe(true);
    }
  });
});
