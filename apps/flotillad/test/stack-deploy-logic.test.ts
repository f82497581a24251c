// DeployStack's pass on a real (pure) store: one transaction for the whole stack, nothing written
// for an unchanged deploy, only the changed service updated, --prune, and refusals that leave
// the store as it was.
import { ConfigSpec, NetworkSpec, PortProtocol, PublishMode, ResolveImage, Service, StackChange, validateServiceSpec, type DeployStackRequest } from '@flotilla/api';
import { createRootCa, deriveSecretsKey } from '@flotilla/ca';
import { Store, TransactionBuilder } from '@flotilla/raft';
import { describe, expect, it } from 'vitest';
import { buildDeploy, STACK_NAMESPACE_LABEL } from '../src/control/stack-handlers.js';

const key = deriveSecretsKey(createRootCa({ clusterId: 'c1' }).keyPem, 'c1');
const label = { [STACK_NAMESPACE_LABEL]: 'app' };

function request(o: { webImage?: string; conf?: string; withWorker?: boolean; prune?: boolean; port?: number } = {}): DeployStackRequest {
  const svc = (name: string, image: string) =>
    validateServiceSpec({ annotations: { name, labels: label }, task: { container: { image }, networks: [{ target: 'app_default', aliases: [name.slice(4)] }] } });
  const web = validateServiceSpec({
    annotations: { name: 'app_web', labels: label },
    task: { container: { image: o.webImage ?? 'web:1', configs: [{ configName: 'app_conf', target: '/etc/app.conf' }], secrets: [{ secretName: 'app_key', target: 'key' }] }, networks: [{ target: 'app_default', aliases: ['web'] }] },
    endpoint: { ports: [{ targetPort: 80, publishedPort: o.port ?? 8080, protocol: PortProtocol.PORT_PROTOCOL_TCP, publishMode: PublishMode.PUBLISH_MODE_INGRESS }] },
  });
  return {
    namespace: 'app',
    networks: [NetworkSpec.fromPartial({ annotations: { name: 'app_default', labels: label }, driver: 'overlay' })],
    configs: [ConfigSpec.fromPartial({ annotations: { name: 'app_conf', labels: label }, data: Buffer.from(o.conf ?? 'listen 80') })],
    secrets: [{ annotations: { name: 'app_key', labels: label }, data: Buffer.from('k3y') }],
    services: [web, ...(o.withWorker === false ? [] : [svc('app_worker', 'worker:1')])],
    externalNetworks: [],
    externalConfigs: [],
    externalSecrets: [],
    prune: o.prune ?? false,
    resolveImage: ResolveImage.RESOLVE_IMAGE_NEVER,
  };
}

let index = 1;
function newStore(): Store {
  const store = new Store();
  const tx = new TransactionBuilder('base', 1_000);
  tx.create('network', { id: 'ingress1', spec: NetworkSpec.fromPartial({ annotations: { name: 'ingress' }, driver: 'overlay', ingress: true }) });
  tx.create('service', Service.fromPartial({ id: 'other1', specVersion: 1, spec: validateServiceSpec({ annotations: { name: 'other' }, task: { container: { image: 'x' } }, endpoint: { ports: [{ targetPort: 80, publishedPort: 9090 }] } }) }));
  const r = store.apply(index++, tx.encode());
  if (!r.ok) throw r.error;
  return store;
}

/** One DeployStack pass: the changes it reports and the writes it made (0 = nothing). */
function deploy(store: Store, req: DeployStackRequest): { changes: Array<[string, string, StackChange]>; writes: number } {
  const tx = new TransactionBuilder(`d${index}`, 2_000);
  const changes: Parameters<typeof buildDeploy>[4] = [];
  buildDeploy(store.view(), tx, req, () => key, changes);
  if (tx.size > 0) {
    const r = store.apply(index++, tx.encode());
    if (!r.ok) throw r.error;
  }
  return { changes: changes.map((c) => [c.kind, c.name, c.change]), writes: tx.size };
}

const names = (store: Store) => ({
  services: [...store.view().services.all()].map((s) => s.spec?.annotations?.name).sort(),
  networks: [...store.view().networks.all()].map((s) => s.spec?.annotations?.name).sort(),
  configs: [...store.view().configs.all()].map((s) => s.spec?.annotations?.name).sort(),
  secrets: [...store.view().secrets.all()].map((s) => s.spec?.annotations?.name).sort(),
});

describe('DeployStack (one store transaction)', () => {
  it('creates every object at once, references resolved to the ids created in the same transaction', () => {
    const store = newStore();
    const { changes } = deploy(store, request());
    expect(changes).toEqual([
      ['network', 'app_default', StackChange.STACK_CHANGE_CREATED],
      ['secret', 'app_key', StackChange.STACK_CHANGE_CREATED],
      ['config', 'app_conf', StackChange.STACK_CHANGE_CREATED],
      ['service', 'app_web', StackChange.STACK_CHANGE_CREATED],
      ['service', 'app_worker', StackChange.STACK_CHANGE_CREATED],
    ]);
    const web = store.view().services.byName('app_web')!;
    expect(web.spec?.task?.container?.configs[0]?.configId).toBe(store.view().configs.byName('app_conf')!.id);
    expect(web.spec?.task?.container?.secrets[0]?.secretId).toBe(store.view().secrets.byName('app_key')!.id);
    expect(store.view().secrets.byName('app_key')!.spec?.data.length).toBe(0); // sealed, never plain
  });

  it('an unchanged deploy writes nothing; a changed image updates only that service', () => {
    const store = newStore();
    deploy(store, request());
    const again = deploy(store, request());
    expect(again.writes).toBe(0);
    expect(again.changes.every(([, , c]) => c === StackChange.STACK_CHANGE_UNCHANGED)).toBe(true);
    const worker = store.view().services.byName('app_worker')!;
    const updated = deploy(store, request({ webImage: 'web:2' }));
    expect(updated.changes.filter(([, , c]) => c !== StackChange.STACK_CHANGE_UNCHANGED)).toEqual([['service', 'app_web', StackChange.STACK_CHANGE_UPDATED]]);
    const web = store.view().services.byName('app_web')!;
    expect([web.specVersion, web.spec?.task?.container?.image, web.previousSpec?.task?.container?.image, web.updateStatus?.state]).toEqual([2, 'web:2', 'web:1', 'UPDATE_STATE_UPDATING']);
    expect(store.view().services.byName('app_worker')!.meta?.version).toBe(worker.meta?.version);
  });

  it('--prune removes the stack services the request no longer has, and only those', () => {
    const store = newStore();
    deploy(store, request());
    // Without --prune a service dropped from the file stays.
    expect(deploy(store, request({ withWorker: false })).writes).toBe(0);
    expect(names(store).services).toEqual(['app_web', 'app_worker', 'other']);
    const pruned = deploy(store, request({ withWorker: false, prune: true }));
    expect(pruned.changes).toContainEqual(['service', 'app_worker', StackChange.STACK_CHANGE_REMOVED]);
    expect(names(store).services).toEqual(['app_web', 'other']);
  });

  it.each([
    ['a published port another service uses', request({ port: 9090 }), /service app_web: port 9090\/tcp is already in use by service other/],
    ['a missing external network', { ...request(), externalNetworks: ['shared'] }, /network "shared" is declared as external, but could not be found/],
    ['a dependency that does not exist', { ...request(), services: [validateServiceSpec({ annotations: { name: 'app_x', labels: label }, task: { container: { image: 'x' } }, dependsOn: [{ service: 'app_db' }] })] }, /depends on service app_db, which does not exist/],
  ])('refuses %s and writes nothing', (_what, req, message) => {
    const store = newStore();
    const before = names(store);
    expect(() => deploy(store, req)).toThrow(message);
    expect(names(store)).toEqual(before);
  });

  it('a config or secret is immutable: other contents under the same name are refused, nothing changes', () => {
    const store = newStore();
    deploy(store, request());
    const before = store.view().index;
    expect(() => deploy(store, request({ conf: 'listen 81', webImage: 'web:2' }))).toThrow(/config app_conf already exists with other contents/);
    expect(store.view().index).toBe(before);
    expect(store.view().services.byName('app_web')!.spec?.task?.container?.image).toBe('web:1');
  });
});
