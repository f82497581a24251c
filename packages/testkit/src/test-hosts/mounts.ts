// Mounts an engine leaves behind (its data root, overlay layers, container
// namespaces) must be undone before its directories can be removed.
import { readFileSync } from 'node:fs';
import { runSync } from './commands.js';

function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

/** Mount points in `mountinfo` text at or below any of `dirs`, deepest first (the order to unmount them in). */
export function mountsUnder(mountinfo: string, dirs: readonly string[]): string[] {
  const found = new Set<string>();
  for (const line of mountinfo.split('\n')) {
    const field = line.split(' ')[4];
    if (field === undefined) continue;
    const point = unescapeMountPath(field);
    if (dirs.some((d) => point === d || point.startsWith(`${d}/`))) found.add(point);
  }
  return [...found].sort((a, b) => b.split('/').length - a.split('/').length || b.length - a.length);
}

/** Unmounts everything at or below `dirs`; returns problems instead of throwing so teardown can go on. */
export function unmountAllSync(dirs: readonly string[]): string[] {
  const problems: string[] = [];
  // A mount can be stacked on the same point more than once; repeat until none is left.
  for (let round = 0; round < 5; round++) {
    const points = mountsUnder(readFileSync('/proc/self/mountinfo', 'utf8'), dirs);
    if (points.length === 0) return problems;
    for (const point of points) {
      const res = runSync(['umount', point], { what: `unmounting ${point}`, allowFailure: true });
      if (res.code !== 0) {
        const lazy = runSync(['umount', '-l', point], { what: `lazily unmounting ${point}`, allowFailure: true });
        if (lazy.code !== 0) problems.push(`could not unmount ${point}: ${lazy.stderr.trim()}`);
      }
    }
  }
  const left = mountsUnder(readFileSync('/proc/self/mountinfo', 'utf8'), dirs);
  if (left.length > 0) problems.push(`mounts left under ${dirs.join(', ')}: ${left.join(', ')}`);
  return problems;
}
