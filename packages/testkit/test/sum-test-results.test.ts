// The suite's closing line (scripts/sum-test-results.mjs), fed with reports that a real vitest
// wrote for a throwaway package whose hooks fail: a failed beforeAll leaves its tests "skipped",
// so a summary that only counted failed tests said "0 failed" over a broken run.
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, type TempDir } from '../src/index.js';

const SCRIPT = fileURLToPath(new URL('../../../scripts/sum-test-results.mjs', import.meta.url));
const VITEST = fileURLToPath(new URL('../../../node_modules/vitest/vitest.mjs', import.meta.url));

function run(args: string[], cwd: string): Promise<{ code: number | null; stdout: string }> {
  // The outer vitest's own variables would make the inner one think it is one of its workers.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && k !== 'NODE_OPTIONS'));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout }));
  });
}

/**
 * A package under `root`/packages/`name` with these test files, run by vitest into its
 * .test-results.json; vitest's exit code goes where turbo's `--summarize` puts a task's.
 */
async function packageWithReport(root: string, name: string, files: Record<string, string>): Promise<void> {
  const dir = join(root, 'packages', name);
  await mkdir(join(dir, 'test'), { recursive: true });
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name, type: 'module', private: true }));
  for (const [file, text] of Object.entries(files)) await writeFile(join(dir, 'test', file), text);
  const vitest = await run([VITEST, 'run', '--root', dir, '--reporter=json', '--outputFile.json=.test-results.json'], dir);
  await mkdir(join(root, '.turbo', 'runs'), { recursive: true });
  const summary = { tasks: [{ taskId: `${name}#test`, task: 'test', directory: `packages/${name}`, execution: { exitCode: vitest.code } }] };
  await writeFile(join(root, '.turbo', 'runs', `${name}.json`), JSON.stringify(summary));
}

const passing = `import { it, expect } from 'vitest';\nit('adds', () => expect(1 + 1).toBe(2));\n`;

describe('sum-test-results.mjs (the closing line)', () => {
  let tmp: TempDir;
  beforeAll(async () => {
    tmp = await tempDir('sum-results-');
  });
  afterAll(async () => {
    await tmp.cleanup();
  });

  it('counts a file whose beforeAll failed, and a describe whose afterAll failed, as failures with FAILED lines', async () => {
    const root = join(tmp.path, 'hooks');
    await packageWithReport(root, 'broken', {
      'start.test.ts': `import { beforeAll, it, expect } from 'vitest';
beforeAll(() => { throw new Error('daemon did not start within 15 s\\nsecond line'); });
it('lists services', () => expect(1).toBe(1));
it('scales', () => expect(1).toBe(1));
`,
      'cleanup.test.ts': `import { afterAll, describe, it, expect } from 'vitest';
describe('cluster', () => { afterAll(() => { throw new Error('cleanup broke'); }); it('converges', () => expect(1).toBe(1)); });
`,
      'ok.test.ts': passing,
    });

    const out = await run([SCRIPT, root], root);

    const lines = out.stdout.trimEnd().split('\n');
    expect(lines).toContain('FAILED packages/broken/test/start.test.ts > (hook) daemon did not start within 15 s');
    expect(lines).toContain("FAILED packages/broken/test/cleanup.test.ts > (hook) a beforeAll/afterAll failed (see this file's output above)");
    // converges + adds passed; the two skipped tests are not passes; each broken file is one failure.
    expect(lines.at(-1)).toBe('2 passed, 2 failed');
    expect(out.code).toBe(1);
  });

  it('counts an error vitest caught outside any test (its JSON report says success, its exit code does not)', async () => {
    const root = join(tmp.path, 'unhandled');
    await packageWithReport(root, 'late', {
      'late.test.ts': `import { it } from 'vitest';
it('throws after it ended', () => { setTimeout(() => { throw new Error('late boom'); }, 1); });
it('waits', async () => { await new Promise((r) => setTimeout(r, 100)); });
`,
    });

    const out = await run([SCRIPT, root], root);

    expect(out.stdout).toContain('FAILED packages/late > (outside any test) its tests exited 1 although no test failed');
    expect(out.stdout.trimEnd().split('\n').at(-1)).toBe('2 passed, 1 failed');
    expect(out.code).toBe(1);
  });

  it('says 0 failed and exits 0 when everything passed, and counts a package without a report', async () => {
    const root = join(tmp.path, 'green');
    await packageWithReport(root, 'fine', { 'ok.test.ts': passing });
    expect(await run([SCRIPT, root], root)).toEqual({ code: 0, stdout: '1 passed, 0 failed\n' });

    await mkdir(join(root, 'apps', 'silent'), { recursive: true });
    await writeFile(join(root, 'apps', 'silent', 'package.json'), '{}');
    expect(await run([SCRIPT, root], root)).toEqual({ code: 1, stdout: 'no test report from: apps/silent\n1 passed, 1 failed\n' });
  });
});
