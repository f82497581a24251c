import { describe, expect, it } from 'vitest';
import { clusterSubjects, InvalidSubjectTokenError, lastSubjectToken, subjectToken, managerPermissions, workerPermissions } from '../src/index.js';

describe('clusterSubjects', () => {
  const s = clusterSubjects('c1');

  it('names every subject under flt.<clusterId>', () => {
    expect(s.all).toBe('flt.c1.>');
    expect(s.raft.member('m1')).toBe('flt.c1.raft.m1');
    expect(s.raft.any).toBe('flt.c1.raft.*');
    expect([s.store.list, s.store.events, s.store.propose]).toEqual([
      'flt.c1.store.list',
      'flt.c1.store.events',
      'flt.c1.store.propose',
    ]);
    expect(s.dispatcher.session('n1')).toBe('flt.c1.dispatcher.session.n1');
    expect(s.dispatcher.heartbeat('n1')).toBe('flt.c1.dispatcher.heartbeat.n1');
    expect(s.dispatcher.status('n1')).toBe('flt.c1.dispatcher.status.n1');
    expect(s.dispatcher.heartbeatAny).toBe('flt.c1.dispatcher.heartbeat.*');
    expect(s.dispatcher.fromNode('n1')).toBe('flt.c1.dispatcher.*.n1');
    expect(s.node.all('n1')).toBe('flt.c1.node.n1.>');
    expect(s.node.assignments('n1')).toBe('flt.c1.node.n1.assignments');
    expect(s.node.inboxPrefix('n1')).toBe('flt.c1.node.n1.inbox');
    expect(s.control.method('CreateService')).toBe('flt.c1.control.CreateService');
    expect(s.logs.stream('n1', 'st9')).toBe('flt.c1.logs.n1.st9');
  });

  it('keeps clusters apart', () => {
    expect(clusterSubjects('c2').raft.member('m1')).not.toBe(s.raft.member('m1'));
  });

  it.each([
    ['a.b', 'must not contain "." (the subject separator)'],
    ['a*', 'must not contain the wildcard "*"'],
    ['>', 'must not contain the wildcard ">"'],
    ['a b', 'must not contain whitespace or control characters'],
    ['a\tb', 'must not contain whitespace or control characters'],
    ['a\u0000', 'must not contain whitespace or control characters'],
    ['', 'must not be empty'],
  ])('rejects node id %j', (bad, reason) => {
    expect(() => s.node.assignments(bad)).toThrow(InvalidSubjectTokenError);
    expect(() => s.node.assignments(bad)).toThrow(`invalid node id ${JSON.stringify(bad)} for a NATS subject: ${reason}`);
  });

  it('names the kind of id that was bad', () => {
    expect(() => clusterSubjects('x.y')).toThrow('invalid cluster id "x.y"');
    expect(() => s.raft.member('m 1')).toThrow('invalid raft member id "m 1"');
    expect(() => s.logs.stream('n1', 'a>')).toThrow('invalid log stream id "a>"');
  });

  it('accepts ids with dashes, underscores and unicode letters', () => {
    expect(subjectToken('id', 'node-1_abc')).toBe('node-1_abc');
    expect(subjectToken('id', 'nœud')).toBe('nœud');
  });

  it('lastSubjectToken recovers the node id of a concrete subject', () => {
    expect(lastSubjectToken(s.dispatcher.heartbeat('n42'))).toBe('n42');
    expect(() => lastSubjectToken('flt.c1.')).toThrow('must not be empty');
  });
});

describe('permissions', () => {
  const s = clusterSubjects('c1');

  it('lets a worker publish only its own dispatcher and log subjects and hear only its own node', () => {
    expect(workerPermissions(s, 'n1')).toEqual({
      publish: { allow: ['flt.c1.dispatcher.*.n1', 'flt.c1.logs.n1.*'] },
      subscribe: { allow: ['flt.c1.node.n1.>'] },
      allowResponses: true,
    });
  });

  it('confines a manager to its cluster', () => {
    expect(managerPermissions(s).publish?.allow).toEqual(['flt.c1.>']);
    expect(managerPermissions(s).subscribe?.allow).toEqual(['flt.c1.>']);
  });

  it('refuses a worker id that would widen the permission', () => {
    expect(() => workerPermissions(s, '*')).toThrow(InvalidSubjectTokenError);
    expect(() => workerPermissions(s, '>')).toThrow(InvalidSubjectTokenError);
  });
});
