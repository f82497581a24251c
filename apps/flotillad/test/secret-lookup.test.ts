import { Secret, Service, ServiceSpec } from '@flotilla/api';
import { deriveSecretsKey, createRootCa, openSecretValue, sealSecretValue } from '@flotilla/ca';
import { Store, TransactionBuilder } from '@flotilla/raft';
import { describe, expect, it } from 'vitest';
import { ControlError } from '../src/control/control-error.js';
import { findSecret, resolveSecretReferences, secretView, servicesUsingSecret } from '../src/control/secret-lookup.js';

const key = deriveSecretsKey(createRootCa({ clusterId: 'c1' }).keyPem, 'c1');
const secret = (id: string, name: string, value: string): Secret =>
  Secret.fromPartial({ id, spec: { annotations: { name } }, sealed: sealSecretValue(key, id, Buffer.from(value)), size: value.length });
const service = (id: string, name: string, secretIds: string[]): Service =>
  Service.fromPartial({ id, spec: { annotations: { name }, task: { container: { image: 'x', secrets: secretIds.map((s) => ({ secretId: s, secretName: s, target: s })) } } } });

function storeWith(build: (tx: TransactionBuilder) => void): Store {
  const store = new Store();
  const tx = new TransactionBuilder('t1', 1_000);
  build(tx);
  const r = store.apply(1, tx.encode());
  if (!r.ok) throw r.error;
  return store;
}

const view = storeWith((tx) => {
  tx.create('secret', secret('sec1aaaa', 'db_pass', 'hunter2'));
  tx.create('secret', secret('sec2bbbb', 'api_key', 'k'));
  tx.create('service', service('svc1', 'web', ['sec1aaaa']));
  tx.create('service', service('svc2', 'worker', ['sec1aaaa', 'sec2bbbb']));
}).view();

describe('secret lookup on a real store', () => {
  it('finds a secret by id, name or unique prefix, and says "secret not found" otherwise', () => {
    expect(findSecret(view, 'sec1aaaa').id).toBe('sec1aaaa');
    expect(findSecret(view, 'api_key').id).toBe('sec2bbbb');
    expect(findSecret(view, 'sec2').id).toBe('sec2bbbb');
    expect(() => findSecret(view, 'sec')).toThrow('secret sec is ambiguous (2 matches)');
    expect(() => findSecret(view, 'nope')).toThrow('secret not found: nope');
  });

  it('lists the services that use a secret', () => {
    expect(servicesUsingSecret(view, 'sec1aaaa').map((s) => s.spec?.annotations?.name).sort()).toEqual(['web', 'worker']);
    expect(servicesUsingSecret(view, 'sec2bbbb').map((s) => s.spec?.annotations?.name)).toEqual(['worker']);
  });

  it('resolves references by name to ids, and refuses a missing one', () => {
    const spec = ServiceSpec.fromPartial({ annotations: { name: 's' }, task: { container: { image: 'x', secrets: [{ secretName: 'api_key', target: 'k', mode: 0o400 }] } } });
    const resolved = resolveSecretReferences(view, spec);
    expect(resolved.task?.container?.secrets).toEqual([{ secretId: 'sec2bbbb', secretName: 'api_key', target: 'k', uid: '', gid: '', mode: 0o400 }]);
    const missing = ServiceSpec.fromPartial({ task: { container: { secrets: [{ secretName: 'gone' }] } } });
    expect(() => resolveSecretReferences(view, missing)).toThrow(ControlError);
    expect(() => resolveSecretReferences(view, missing)).toThrow('secret not found: gone');
  });

  it('the view the control API answers has neither the sealed nor a plain value; the store still opens', () => {
    const stored = view.secrets.get('sec1aaaa')!;
    const shown = secretView(stored);
    expect(shown.sealed).toBeUndefined();
    expect(shown.spec?.data.length).toBe(0);
    expect(JSON.stringify(Secret.toJSON(shown))).not.toContain(Buffer.from('hunter2').toString('base64'));
    expect(openSecretValue(key, 'sec1aaaa', stored.sealed).toString()).toBe('hunter2');
  });
});
