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
