import { describe, expect, it } from 'vitest';
import { Node, NodeRole, matchesConstraints, nodeValue, parseConstraint, unmetConstraints } from '../src/index.js';

interface NodeOptions {
  hostname?: string;
  role?: NodeRole;
  labels?: Record<string, string>;
  engineLabels?: Record<string, string>;
  os?: string;
  arch?: string;
}

function node(id: string, o: NodeOptions = {}): Node {
  return Node.fromPartial({
    id,
    role: o.role ?? NodeRole.NODE_ROLE_WORKER,
    spec: { annotations: { name: id, labels: o.labels ?? {} } },
    description: {
      hostname: o.hostname ?? `host-${id}`,
      platform: { os: o.os ?? 'linux', architecture: o.arch ?? 'x86_64' },
      engine: { engineVersion: '20.10', labels: o.engineLabels ?? {} },
    },
  });
}

describe('nodeValue', () => {
  const n = node('abc', { hostname: 'h1', role: NodeRole.NODE_ROLE_MANAGER, labels: { disk: 'ssd' }, engineLabels: { gpu: 'yes' }, os: 'linux', arch: 'aarch64' });

  it.each<[string, string | undefined]>([
    ['node.id', 'abc'],
    ['node.hostname', 'h1'],
    ['node.role', 'manager'],
    ['node.platform.os', 'linux'],
    ['node.platform.arch', 'aarch64'],
    ['node.labels.disk', 'ssd'],
    ['node.labels.absent', ''],
    ['engine.labels.gpu', 'yes'],
    ['engine.labels.absent', ''],
    ['node.colour', undefined],
  ])('%s -> %j', (key, value) => {
    expect(nodeValue(key, n)).toBe(value);
  });

  it('a node with no description reads empty values', () => {
    const bare: Node = { ...n, description: undefined };
    expect(nodeValue('node.hostname', bare)).toBe('');
    expect(nodeValue('engine.labels.gpu', bare)).toBe('');
  });
});

describe('matchesConstraints', () => {
  const arm = node('a', { arch: 'aarch64' });

  it.each<[string, boolean]>([
    ['node.platform.arch==arm64', true],
    ['node.platform.arch==aarch64', true],
    ['node.platform.arch!=arm64', false],
    ['node.platform.arch==x86_64', false],
  ])('architecture families: %s -> %s', (expr, ok) => {
    expect(matchesConstraints([parseConstraint(expr)], arm)).toBe(ok);
  });

  it('an unknown key (not produced by the parser) matches nothing, even with !=', () => {
    expect(matchesConstraints([{ key: 'node.colour', op: '!=', value: 'red' }], arm)).toBe(false);
  });

  it('reports every unmet constraint in order', () => {
    const cs = ['node.role==manager', 'node.id==a', 'node.labels.x==y'].map(parseConstraint);
    expect(unmetConstraints(cs, arm).map((c) => c.key)).toEqual(['node.role', 'node.labels.x']);
  });
});
