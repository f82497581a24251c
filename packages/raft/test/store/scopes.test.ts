// Issue 16: what each manager service sees of the store when it runs as its own process.
import { Cluster, Secret, Task } from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import { redact } from '../../src/store/scopes.js';

const cluster = Cluster.fromPartial({
  id: 'c1',
  rootCa: {
    caCert: Buffer.from('CERT'),
    caKey: Buffer.from('KEY'),
    joinTokens: { worker: 'W', manager: 'M', service: 'S' },
    rotation: { caCert: Buffer.from('NEW'), caKey: Buffer.from('NEWKEY'), oldCaKey: Buffer.from('OLDKEY') },
  },
  gossipKeys: [{ key: Buffer.alloc(32, 7), lamportTime: 1 }],
});
const secret = Secret.fromPartial({ id: 's', spec: { annotations: { name: 'db' } }, sealed: { keyId: 'k', nonce: Buffer.alloc(12), ciphertext: Buffer.from('x') }, size: 1 });

const text = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString();

describe('redacted views of the store', () => {
  it.each(['scheduler', 'orchestrator', 'allocator'] as const)('the %s sees no keys, tokens or sealed values', (scope) => {
    const c = redact(scope, 'cluster', cluster) as Cluster;
    expect(text(c.rootCa?.caKey)).toBe('');
    expect(text(c.rootCa?.rotation?.caKey) + text(c.rootCa?.rotation?.oldCaKey)).toBe('');
    expect(c.rootCa?.joinTokens).toEqual({ worker: '', manager: '', service: '' });
    expect(c.gossipKeys).toEqual([]);
    expect(text(c.rootCa?.caCert)).toBe('CERT');
    expect((redact(scope, 'secret', secret) as Secret).sealed).toBeUndefined();
    expect((redact(scope, 'secret', secret) as Secret).spec?.annotations?.name).toBe('db');
  });

  it('the dispatcher sees the gossip keyring (it hands it to every node) but no CA keys or tokens', () => {
    const c = redact('dispatcher', 'cluster', cluster) as Cluster;
    expect(c.gossipKeys).toHaveLength(1);
    expect(text(c.rootCa?.caKey)).toBe('');
    expect(c.rootCa?.joinTokens?.worker).toBe('');
    expect((redact('dispatcher', 'secret', secret) as Secret).sealed).toBeUndefined();
  });

  it('the CA signer sees the root keys but no tokens, keyring or sealed values', () => {
    const c = redact('ca', 'cluster', cluster) as Cluster;
    expect(text(c.rootCa?.caKey)).toBe('KEY');
    expect(text(c.rootCa?.rotation?.caKey)).toBe('NEWKEY');
    expect(c.rootCa?.joinTokens?.service).toBe('');
    expect(c.gossipKeys).toEqual([]);
    expect((redact('ca', 'secret', secret) as Secret).sealed).toBeUndefined();
  });

  it('leaves other kinds and the stored object alone', () => {
    const t = Task.fromPartial({ id: 't' });
    expect(redact('scheduler', 'task', t)).toBe(t);
    redact('scheduler', 'cluster', cluster);
    expect(text(cluster.rootCa?.caKey)).toBe('KEY');
  });
});
