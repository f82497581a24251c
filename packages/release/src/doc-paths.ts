import { existsSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';

/** A path a document names, and where. */
export interface NamedPath {
  readonly line: number;
  /** As written. */
  readonly text: string;
  /** Where it may be, relative to the checkout's root: it exists if any of them does. */
  readonly candidates: readonly string[];
}

/** Top-level folders of the checkout: a code span starting with one of them names a path from the root. */
const ROOT_DIRS = ['packages/', 'apps/', 'infra/', 'docs/', 'scripts/', 'examples/', 'bin/', '.ci/'];

/**
 * The relative paths a markdown file names (pure): link targets (`[x](../y.md#z)`, resolved
 * against the file's folder) and code spans that start at a top-level folder (`packages/cli/src`,
 * from the root, or from the file's folder: a package README's `scripts/bundle.mjs` is its own).
 * Left out: URLs, anchors, spans holding a placeholder or a pattern (`<id>`, `*`, `…`, `{a,b}`),
 * and links that leave the checkout (`../shared/DESIGN.md` is the steering repo's, beside it).
 */
export function namedPaths(markdown: string, file: string): NamedPath[] {
  const out: NamedPath[] = [];
  const lines = markdown.split('\n');
  let fenced = false;
  lines.forEach((text, i) => {
    if (/^\s*```/.test(text)) fenced = !fenced;
    if (fenced) return;
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1]!.split('#')[0]!;
      if (target === '' || /^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
      const resolved = normalize(join(dirname(file), decodeURI(target)));
      if (resolved.startsWith('..')) continue;
      out.push({ line: i + 1, text: m[1]!, candidates: [resolved] });
    }
    for (const m of text.matchAll(/`([^`\s]+)`/g)) {
      const span = m[1]!.replace(/[.,:;)]+$/, '');
      if (!ROOT_DIRS.some((d) => span.startsWith(d))) continue;
      if (/[<>*…{}$|=]|\.\.\./.test(span)) continue;
      const path = span.split(/[:#]/)[0]!;
      out.push({ line: i + 1, text: span, candidates: [path, normalize(join(dirname(file), path))] });
    }
  });
  return out;
}

/** The named paths of `file` (relative to `root`) that do not exist under `root`. */
export function missingPaths(markdown: string, file: string, root: string, exists: (p: string) => boolean = existsSync): NamedPath[] {
  return namedPaths(markdown, file).filter((p) => !p.candidates.some((c) => exists(join(root, c))));
}

// A source file's extension: what a README's backticked file names are checked for. Runtime files
// (`state.json`, `config.json`: written by the daemon, not in the repository) are not source.
const SOURCE_FILE = /\.(ts|sh|md|yml|yaml|proto|c|py|j2)$/;

/**
 * The source files a README names in backticks by a path of its own package or a bare file name
 * (`src/filters/constraint.ts`, `x.test.ts:12`), which `namedPaths` leaves out because they do
 * not start at a top-level folder. Left out: commands, globs, placeholders, absolute paths. Pure.
 */
export function namedSourceFiles(markdown: string): string[] {
  const names: string[] = [];
  for (const m of markdown.matchAll(/`([^`\n]+)`/g)) {
    const token = m[1]!.trim();
    if (/[\s*{}<>$=…]|:\/\/|^[-/.]|^\w+:/.test(token)) continue;
    if (ROOT_DIRS.some((d) => token.startsWith(d))) continue; // namedPaths' business
    const path = token.split(':')[0]!;
    if (SOURCE_FILE.test(path)) names.push(path);
  }
  return names;
}

/**
 * Whether a source file a README in `readmeDir` (relative to the root) names exists: beside the
 * README, in a folder above it, or as the tail of a tracked file (a table naming another
 * package's test by its own path). Pure but for `exists`.
 */
export function sourceFileExists(name: string, readmeDir: string, tracked: readonly string[], exists: (p: string) => boolean): boolean {
  for (let dir = normalize(readmeDir); ; dir = dirname(dir)) {
    if (exists(join(dir, name))) return true;
    if (dir === '.' || dir === '/' || dir === '') break;
  }
  return tracked.some((f) => `/${f}`.endsWith(`/${name}`));
}
