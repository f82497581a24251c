import { describe, expect, it } from 'vitest';
import { parseConstraint, parseConstraints, formatConstraint, SpecError } from '../src/index.js';

describe('parseConstraint accepts swarm expressions', () => {
  it.each([
    ['node.id==abc123', { key: 'node.id', op: '==', value: 'abc123' }],
    ['node.hostname!=h', { key: 'node.hostname', op: '!=', value: 'h' }],
    ['node.role==manager', { key: 'node.role', op: '==', value: 'manager' }],
    ['node.role == Worker', { key: 'node.role', op: '==', value: 'worker' }],
    ['node.labels.storage==ssd', { key: 'node.labels.storage', op: '==', value: 'ssd' }],
    ['engine.labels.os==linux', { key: 'engine.labels.os', op: '==', value: 'linux' }],
    ['node.platform.os==linux', { key: 'node.platform.os', op: '==', value: 'linux' }],
    ['node.platform.arch!=x86_64', { key: 'node.platform.arch', op: '!=', value: 'x86_64' }],
    ['  Node.Labels.Zone  ==  eu-west-1 ', { key: 'node.labels.Zone', op: '==', value: 'eu-west-1' }],
    ['NODE.HOSTNAME==Box-1.example.com', { key: 'node.hostname', op: '==', value: 'Box-1.example.com' }],
    ['node.labels.com.example/rack==r1', { key: 'node.labels.com.example/rack', op: '==', value: 'r1' }],
  ])('%s', (expr, want) => {
    expect(parseConstraint(expr)).toEqual(want);
  });

  it('round-trips through formatConstraint', () => {
    expect(formatConstraint(parseConstraint('node.labels.storage != ssd'))).toBe('node.labels.storage!=ssd');
  });
});

describe('parseConstraint rejects bad expressions with clear errors', () => {
  it.each([
    ['node.labels.x=y', 'constraint "node.labels.x=y" must use == or !='],
    ['node.labels.x', 'constraint "node.labels.x" must use == or !='],
    ['node.labels.x>=y', 'constraint "node.labels.x>=y" must use == or !='],
    ['', 'constraint "" must use == or !='],
    ['==ssd', 'constraint "==ssd": key is empty'],
    ['node.labels.storage==', 'constraint "node.labels.storage==": value for node.labels.storage is empty'],
    ['node.labels.storage==  ', 'constraint "node.labels.storage==  ": value for node.labels.storage is empty'],
    ['node.labels.==ssd', 'constraint "node.labels.==ssd": label name after "node.labels." is empty'],
    ['node.labels.a b==ssd', 'constraint "node.labels.a b==ssd": label name "a b" is invalid'],
    [
      'node.name==x',
      'constraint "node.name==x": unknown key "node.name" (expected one of node.id, node.hostname, node.role, node.platform.os, node.platform.arch, node.labels.<name>, engine.labels.<name>)',
    ],
    ['node.role==boss', 'constraint "node.role==boss": node.role must be "manager" or "worker", not "boss"'],
    ['node.id==a==b', 'constraint "node.id==a==b": value "a==b" must not contain "=" or "!" (only one operator per constraint)'],
    ['node.id==a b', 'constraint "node.id==a b": value "a b" must not contain spaces'],
  ])('%j', (expr, message) => {
    let caught: unknown;
    try {
      parseConstraint(expr);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SpecError);
    expect((caught as SpecError).message).toBe(message);
    expect((caught as SpecError).field).toBe('constraint');
  });

  it('picks the first operator when != comes before ==', () => {
    expect(() => parseConstraint('node.id!=a==b')).toThrow('must not contain');
  });
});

describe('parseConstraints', () => {
  it('parses a list in order', () => {
    expect(parseConstraints(['node.role==manager', 'node.labels.a!=b'])).toEqual([
      { key: 'node.role', op: '==', value: 'manager' },
      { key: 'node.labels.a', op: '!=', value: 'b' },
    ]);
  });
  it('names the index of the bad entry in the error field', () => {
    try {
      parseConstraints(['node.role==manager', 'node.labels.x=y']);
      expect.unreachable('should have thrown');
    } catch (err) {
      expect(err).toBeInstanceOf(SpecError);
      expect((err as SpecError).field).toBe('constraints[1]');
      expect((err as SpecError).message).toBe('constraint "node.labels.x=y" must use == or !=');
    }
  });
  it('accepts an empty list', () => {
    expect(parseConstraints([])).toEqual([]);
  });
});
