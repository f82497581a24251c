import { NodeRole, type Node } from '../gen/flotilla/node.js';
import type { Constraint } from './constraint.js';

const NODE_LABELS = 'node.labels.';
const ENGINE_LABELS = 'engine.labels.';

// Nodes report the architecture the way their runtime names it (Node says
// "x64", Docker "x86_64"); users write any of them, so compare families.
const ARCH_FAMILIES: Record<string, string> = {
  x86_64: 'amd64',
  x64: 'amd64',
  amd64: 'amd64',
  aarch64: 'arm64',
  arm64: 'arm64',
  armhf: 'arm',
  armv7l: 'arm',
  arm: 'arm',
  i386: '386',
  i686: '386',
  ia32: '386',
  '386': '386',
};

function archFamily(arch: string): string {
  const lower = arch.toLowerCase();
  return ARCH_FAMILIES[lower] ?? lower;
}

/**
 * The node's value for a constraint key. A missing label or description reads
 * as the empty string, as in swarm: `==` then fails and `!=` holds. An unknown
 * key yields undefined (matches nothing).
 */
export function nodeValue(key: string, node: Node): string | undefined {
  switch (key) {
    case 'node.id':
      return node.id;
    case 'node.hostname':
      return node.description?.hostname ?? '';
    case 'node.role':
      return node.role === NodeRole.NODE_ROLE_MANAGER ? 'manager' : 'worker';
    case 'node.platform.os':
      return node.description?.platform?.os ?? '';
    case 'node.platform.arch':
      return node.description?.platform?.architecture ?? '';
  }
  if (key.startsWith(NODE_LABELS)) {
    return node.spec?.annotations?.labels[key.slice(NODE_LABELS.length)] ?? '';
  }
  if (key.startsWith(ENGINE_LABELS)) {
    return node.description?.engine?.labels[key.slice(ENGINE_LABELS.length)] ?? '';
  }
  return undefined;
}

/** Values compare case-insensitively, like swarm; architectures compare by family. */
function sameValue(key: string, actual: string, wanted: string): boolean {
  if (key === 'node.platform.arch' && actual !== '') return archFamily(actual) === archFamily(wanted);
  return actual.toLowerCase() === wanted.toLowerCase();
}

export function matchesConstraint(constraint: Constraint, node: Node): boolean {
  const actual = nodeValue(constraint.key, node);
  if (actual === undefined) return false;
  const equal = sameValue(constraint.key, actual, constraint.value);
  return constraint.op === '==' ? equal : !equal;
}

/** The constraints this node does not meet, in the order given; empty when it meets all. */
export function unmetConstraints(constraints: readonly Constraint[], node: Node): Constraint[] {
  return constraints.filter((c) => !matchesConstraint(c, node));
}

export function matchesConstraints(constraints: readonly Constraint[], node: Node): boolean {
  return constraints.every((c) => matchesConstraint(c, node));
}
