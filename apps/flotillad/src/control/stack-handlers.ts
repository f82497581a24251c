// stack deploy (issue 15): every object of the stack checked against the cluster and written in
// one store transaction, so a refused deploy leaves nothing behind. Unchanged objects are not
// written (an unchanged deploy creates no task); changed services start a rolling update with
// their own update config; --prune removes the stack's services the file no longer has.
import {
  ConfigSpec,
  newId,
  PublishMode,
  ServiceSpec,
  StackChange,
  validateConfigSpec,
  validateNetworkSpec,
  validateSecretSpec,
  validateServiceSpec,
  type DeployStackRequest,
  type DeployStackResponse,
  type Service,
  type StackObjectChange,
} from '@flotilla/api';
import { findSubnetClash, ingressNetwork, publishesIngress } from '@flotilla/allocator';
import { openSecretValue, sealSecretValue } from '@flotilla/ca';
import { beginUpdate } from '@flotilla/orchestrator';
import type { ReadTx, TransactionBuilder } from '@flotilla/raft';
import type { Logger } from 'pino';
import type { SwarmController } from '../swarm/swarm-controller.js';
import { writeStore } from '../manager/store-writer.js';
import { invalidArgument, notFound } from './control-error.js';
import { nameProblem } from '@flotilla/api';
import { unary } from './unary.js';

export const STACK_NAMESPACE_LABEL = 'io.flotilla.stack.namespace';

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
const sameSpec = (a: ServiceSpec | undefined, b: ServiceSpec): boolean => a !== undefined && sameBytes(ServiceSpec.encode(a).finish(), ServiceSpec.encode(b).finish());

/** Checks one deploy against `view` and adds its writes to `tx` (nothing when unchanged); `changes` is filled as it goes. Throws, adding nothing usable, on any refusal. */
export function buildDeploy(view: ReadTx, tx: TransactionBuilder, req: DeployStackRequest, key: () => import('@flotilla/ca').SecretsKey, changes: StackObjectChange[]): void {
  const ns = req.namespace;
  const inStack = (labels: Record<string, string> | undefined) => labels?.[STACK_NAMESPACE_LABEL] === ns;
  const now = Date.now();
  const networkIds = new Map<string, string>();
  const configIds = new Map<string, string>();
  const secretIds = new Map<string, string>();

  for (const name of req.externalNetworks) {
    const n = view.networks.byName(name) ?? view.networks.get(name);
    if (!n) throw notFound(`network "${name}" is declared as external, but could not be found. You need to create a swarm-scoped network before the stack is deployed`);
    networkIds.set(name, n.id);
  }
  for (const [kind, names] of [['config', req.externalConfigs], ['secret', req.externalSecrets]] as const) {
    for (const name of names) {
      const found = kind === 'config' ? view.configs.byName(name) : view.secrets.byName(name);
      if (!found) throw notFound(`${kind} "${name}" is declared as external, but could not be found`);
      (kind === 'config' ? configIds : secretIds).set(name, found.id);
    }
  }

  for (const input of req.networks) {
    const spec = validateNetworkSpec(input);
    const name = spec.annotations?.name ?? '';
    const existing = view.networks.byName(name);
    if (existing) {
      // Like docker: a stack network that exists is used as it is (networks are not updated).
      if (!inStack(existing.spec?.annotations?.labels)) throw invalidArgument(`network ${name} already exists and does not belong to stack ${ns}`);
      networkIds.set(name, existing.id);
      changes.push({ kind: 'network', name, id: existing.id, change: StackChange.STACK_CHANGE_UNCHANGED });
      continue;
    }
    const subnet = spec.ipam[0]?.subnet;
    const clash = subnet ? findSubnetClash(subnet, view.networks.all()) : undefined;
    if (clash) throw invalidArgument(`network ${name}: subnet ${subnet} overlaps subnet ${clash.subnet} of network ${clash.name}`);
    const id = newId();
    tx.create('network', { id, spec });
    networkIds.set(name, id);
    changes.push({ kind: 'network', name, id, change: StackChange.STACK_CHANGE_CREATED });
  }

  for (const input of req.secrets) {
    const spec = validateSecretSpec(input);
    const name = spec.annotations?.name ?? '';
    const existing = view.secrets.byName(name);
    if (existing) {
      if (!sameBytes(openSecretValue(key(), existing.id, existing.sealed), spec.data)) {
        throw invalidArgument(`secret ${name} already exists with other contents: a secret cannot be changed (give it a new name to rotate it)`);
      }
      secretIds.set(name, existing.id);
      changes.push({ kind: 'secret', name, id: existing.id, change: StackChange.STACK_CHANGE_UNCHANGED });
      continue;
    }
    const id = newId();
    tx.create('secret', { id, spec: { annotations: spec.annotations, data: Buffer.alloc(0) }, sealed: sealSecretValue(key(), id, spec.data), size: spec.data.length });
    secretIds.set(name, id);
    changes.push({ kind: 'secret', name, id, change: StackChange.STACK_CHANGE_CREATED });
  }

  for (const input of req.configs) {
    const spec = validateConfigSpec(input);
    const name = spec.annotations?.name ?? '';
    const existing = view.configs.byName(name);
    if (existing) {
      if (!sameBytes(existing.spec?.data ?? new Uint8Array(), spec.data)) {
        throw invalidArgument(`config ${name} already exists with other contents: a config cannot be changed (give it a new name to rotate it)`);
      }
      configIds.set(name, existing.id);
      changes.push({ kind: 'config', name, id: existing.id, change: StackChange.STACK_CHANGE_UNCHANGED });
      continue;
    }
    const id = newId();
    tx.create('config', { id, spec: ConfigSpec.fromPartial(spec) });
    configIds.set(name, id);
    changes.push({ kind: 'config', name, id, change: StackChange.STACK_CHANGE_CREATED });
  }

  const names = new Set(req.services.map((s) => s.annotations?.name ?? ''));
  const published = new Map<string, string>();
  for (const input of req.services) {
    const validated = validateServiceSpec(input);
    const name = validated.annotations?.name ?? '';
    if (!inStack(validated.annotations?.labels)) throw invalidArgument(`service ${name} is not labelled ${STACK_NAMESPACE_LABEL}=${ns}`);
    for (const dep of validated.dependsOn) if (!names.has(dep.service) && !view.services.byName(dep.service)) throw notFound(`service ${name} depends on service ${dep.service}, which does not exist`);
    const existing = view.services.byName(name);
    if (existing && !inStack(existing.spec?.annotations?.labels)) throw invalidArgument(`service ${name} already exists and does not belong to stack ${ns}`);
    const spec = resolveStackReferences(view, validated, { networkIds, configIds, secretIds });
    for (const p of spec.endpoint?.ports ?? []) {
      if (p.publishedPort === 0 || p.publishMode === PublishMode.PUBLISH_MODE_HOST) continue;
      const k = `${p.publishedPort}/${p.protocol === 'PORT_PROTOCOL_UDP' ? 'udp' : 'tcp'}`;
      const other = published.get(k) ?? portUser(view, p.publishedPort, p.protocol, names);
      if (other && other !== name) throw invalidArgument(`service ${name}: port ${k} is already in use by service ${other}`);
      published.set(k, name);
    }
    if (!existing) {
      const id = newId();
      tx.create('service', { id, spec, specVersion: 1 });
      changes.push({ kind: 'service', name, id, change: StackChange.STACK_CHANGE_CREATED });
    } else if (sameSpec(existing.spec, spec)) {
      changes.push({ kind: 'service', name, id: existing.id, change: StackChange.STACK_CHANGE_UNCHANGED });
    } else {
      let updated: Service;
      try {
        updated = beginUpdate(existing, spec, now);
      } catch (err) {
        throw invalidArgument(`service ${name}: ${(err as Error).message}`);
      }
      tx.update('service', updated);
      changes.push({ kind: 'service', name, id: existing.id, change: StackChange.STACK_CHANGE_UPDATED });
    }
  }
  // Ingress is checked once every port is known: the tasks would wait for ever without it.
  if (req.services.some((s) => publishesIngress({ spec: s })) && !ingressNetwork(view)) {
    throw invalidArgument(`stack ${ns} publishes ports through the routing mesh but this swarm has no ingress network: create one with 'flotilla network create -d overlay --ingress ingress'`);
  }

  if (req.prune) {
    for (const s of view.services.all()) {
      const name = s.spec?.annotations?.name ?? '';
      if (!inStack(s.spec?.annotations?.labels) || names.has(name)) continue;
      tx.delete('service', s);
      changes.push({ kind: 'service', name, id: s.id, change: StackChange.STACK_CHANGE_REMOVED });
    }
  }
}

/** The service that publishes a port now (in its spec or as allocated), outside the services being deployed. */
function portUser(view: ReadTx, port: number, protocol: string, deploying: ReadonlySet<string>): string | undefined {
  for (const s of view.services.all()) {
    const name = s.spec?.annotations?.name ?? '';
    if (deploying.has(name)) continue;
    const ports = [...(s.spec?.endpoint?.ports ?? []), ...(s.endpoint?.ports ?? [])];
    if (ports.some((p) => p.publishedPort === port && p.protocol === protocol && p.publishMode !== PublishMode.PUBLISH_MODE_HOST)) return name;
  }
  return undefined;
}

/** Networks, secrets and configs named by the stack: ones this deploy creates, else ones that exist. */
function resolveStackReferences(
  view: ReadTx,
  spec: ServiceSpec,
  ids: { networkIds: Map<string, string>; configIds: Map<string, string>; secretIds: Map<string, string> },
): ServiceSpec {
  const c = spec.task?.container;
  if (!spec.task || !c) return spec;
  for (const a of spec.task.networks) {
    if (ids.networkIds.has(a.target)) continue;
    const n = view.networks.byName(a.target) ?? view.networks.get(a.target);
    if (!n) throw notFound(`service ${spec.annotations?.name}: network ${a.target} not found`);
    if (n.spec?.ingress) throw invalidArgument(`service cannot be explicitly attached to the ingress network "${a.target}"`);
  }
  const secrets = c.secrets.map((r) => {
    const id = ids.secretIds.get(r.secretName) ?? view.secrets.byName(r.secretName)?.id;
    if (!id) throw notFound(`service ${spec.annotations?.name}: secret not found: ${r.secretName}`);
    return { ...r, secretId: id };
  });
  const configs = c.configs.map((r) => {
    const id = ids.configIds.get(r.configName) ?? view.configs.byName(r.configName)?.id;
    if (!id) throw notFound(`service ${spec.annotations?.name}: config not found: ${r.configName}`);
    return { ...r, configId: id };
  });
  return { ...spec, task: { ...spec.task, container: { ...c, secrets, configs } } };
}

export function stackHandlers(swarm: SwarmController, log: Logger) {
  return {
    deployStack: unary(log, 'DeployStack', async (req: DeployStackRequest): Promise<DeployStackResponse> => {
      const rt = swarm.requireManager();
      const problem = nameProblem('stack', req.namespace);
      if (problem) throw invalidArgument(problem);
      let changes: StackObjectChange[] = [];
      const index = await writeStore(rt.member, (view, tx) => {
        changes = [];
        buildDeploy(view, tx, req, () => rt.secretsKey, changes);
      });
      const counts = (c: StackChange) => changes.filter((x) => x.change === c).length;
      log.info(
        { stack: req.namespace, index: index ?? 0, created: counts(StackChange.STACK_CHANGE_CREATED), updated: counts(StackChange.STACK_CHANGE_UPDATED), removed: counts(StackChange.STACK_CHANGE_REMOVED) },
        'stack deployed',
      );
      return { changes, index: index ?? 0 };
    }),
  };
}
