import { Secret } from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import { decodeStoreSnapshot } from '../../src/store/snapshot.js';
import { Store } from '../../src/store/store.js';
import { Log } from './fixtures.js';

const sealed = (id: string, name: string): Secret =>
  Secret.fromPartial({
    id,
    spec: { annotations: { name, labels: { env: 'prod' } } },
    sealed: { keyId: 'k1', nonce: Buffer.alloc(12, 1), ciphertext: Buffer.from('opaque') },
    size: 6,
  });

describe('secret kind in the store', () => {
  it('keeps secrets by id and unique name, with labels indexed', () => {
    const store = new Store();
    const log = new Log([store]);
    expect(log.tx('a').create('secret', sealed('s1', 'db_pass')).commit().ok).toBe(true);
    const dup = log.tx('b').create('secret', sealed('s2', 'db_pass')).commit();
    expect(dup).toMatchObject({ ok: false, error: { code: 'NameConflict', field: 'name', value: 'db_pass', existingId: 's1' } });
    const view = store.view();
    expect(view.secrets.byName('db_pass')?.id).toBe('s1');
    expect(view.secrets.byLabel('env', 'prod').map((s) => s.id)).toEqual(['s1']);
    expect(view.secrets.count).toBe(1);
  });

  it('survives a store snapshot with its sealed value', () => {
    const store = new Store();
    new Log([store]).tx('a').create('secret', sealed('s1', 'db_pass')).commit();
    const back = decodeStoreSnapshot(store.snapshot()).tables.secret.primary.get('s1');
    expect(Buffer.from(back!.sealed!.ciphertext).toString()).toBe('opaque');
    expect(back!.spec?.annotations?.name).toBe('db_pass');
  });

  it('a name-filtered snapshot of other kinds leaves secrets out', () => {
    const store = new Store();
    new Log([store]).tx('a').create('secret', sealed('s1', 'db_pass')).commit();
    expect(decodeStoreSnapshot(store.snapshot(['service', 'task'])).tables.secret.primary.size).toBe(0);
  });
});

describe('a plain secret value never reaches a transaction', () => {
  it('the builder refuses a secret whose spec carries data, for create and update', async () => {
    const { TransactionBuilder } = await import('../../src/store/transaction.js');
    const plain = Secret.fromPartial({ id: 's9', spec: { annotations: { name: 'x' }, data: Buffer.from('v') } });
    expect(() => new TransactionBuilder('tx1', 0).create('secret', plain)).toThrow('store transaction tx1: secret s9 carries a plain value; only sealed values may be stored');
    expect(() => new TransactionBuilder('tx2', 0).update('secret', plain)).toThrow('carries a plain value');
    expect(new TransactionBuilder('tx3', 0).create('secret', sealed('s1', 'ok')).size).toBe(1);
  });
});
