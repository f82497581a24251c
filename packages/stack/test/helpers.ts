import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCompose, type LoadedCompose } from '../src/index.js';

export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** Reads real files (fixtures on disk), as the CLI does. */
export const readText = (p: string): string => readFileSync(p, 'utf8');

export function loadFixture(dir: string, files: string[], env: Record<string, string> = {}): LoadedCompose {
  const base = join(FIXTURES, dir);
  return loadCompose(
    files.map((f) => ({ file: f, text: readText(join(base, f)) })),
    { name: dir, baseDir: base, env, readText },
  );
}

/** Loads compose text given inline (errors tests); file name "stack.yml", no other files. */
export function loadText(text: string, env: Record<string, string> = {}, more: string[] = []): LoadedCompose {
  return loadCompose(
    [{ file: 'stack.yml', text }, ...more.map((t, i) => ({ file: `override${i + 1}.yml`, text: t }))],
    {
      name: 'app',
      baseDir: '/nonexistent',
      env,
      readText: () => {
        throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
      },
    },
  );
}
