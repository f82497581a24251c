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
