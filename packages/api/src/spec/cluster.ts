import type { ClusterSpec, ExternalCa } from '../gen/flotilla/cluster.js';
import { cidrsOverlap, formatCidr, networkOf, parseCidr, type Cidr } from './cidr.js';
import * as D from './defaults.js';
import { checkDurationMs, checkInteger, checkLabels, checkPositiveDurationMs, numberOr, Problems, type SpecInput } from './problems.js';
import type { Checked } from './service.js';
import { nameProblem } from './name.js';

const MAX_SUBNET_SIZE = 29; // a /30 leaves no room for tasks after network, gateway and broadcast

/**
 * Validates a ClusterSpec (as `docker swarm init/update` sets it) and returns
 * it with docker's defaults. Throws the first SpecError.
 */
export function validateClusterSpec(input: SpecInput<ClusterSpec>): ClusterSpec {
  const { spec, problems } = checkClusterSpec(input);
  if (problems[0]) throw problems[0];
  return spec;
}

export function checkClusterSpec(input: SpecInput<ClusterSpec>): Checked<ClusterSpec> {
  const p = new Problems();
  const name = input.annotations?.name || D.DEFAULT_CLUSTER_NAME;
  const nameError = nameProblem('cluster', name);
  if (nameError) p.add('annotations.name', nameError);

  const orchestration = {
    taskHistoryRetentionLimit: numberOr(input.orchestration?.taskHistoryRetentionLimit, D.DEFAULT_TASK_HISTORY_RETENTION_LIMIT),
  };
  const raft = {
    snapshotInterval: numberOr(input.raft?.snapshotInterval, D.DEFAULT_SNAPSHOT_INTERVAL),
    logEntriesForSlowFollowers: numberOr(input.raft?.logEntriesForSlowFollowers, D.DEFAULT_LOG_ENTRIES_FOR_SLOW_FOLLOWERS),
    heartbeatTick: numberOr(input.raft?.heartbeatTick, D.DEFAULT_RAFT_HEARTBEAT_TICK),
    electionTick: numberOr(input.raft?.electionTick, D.DEFAULT_RAFT_ELECTION_TICK),
    keepOldSnapshots: numberOr(input.raft?.keepOldSnapshots, D.DEFAULT_KEEP_OLD_SNAPSHOTS),
  };
  const dispatcher = { heartbeatPeriodMs: numberOr(input.dispatcher?.heartbeatPeriodMs, D.DEFAULT_HEARTBEAT_PERIOD_MS) };
  const nodeCertExpiryMs = numberOr(input.caConfig?.nodeCertExpiryMs, D.DEFAULT_NODE_CERT_EXPIRY_MS);
  const gossip = { keyRotationIntervalMs: numberOr(input.gossip?.keyRotationIntervalMs, D.DEFAULT_GOSSIP_KEY_ROTATION_INTERVAL_MS) };
  const networkPool = {
    defaultAddrPool: [...(input.networkPool?.defaultAddrPool ?? D.DEFAULT_ADDR_POOL)],
    subnetSize: numberOr(input.networkPool?.subnetSize, D.DEFAULT_SUBNET_SIZE),
  };
  const labels = checkLabels(p, 'annotations.labels', input.annotations?.labels);

  checkInteger(p, 'orchestration.taskHistoryRetentionLimit', orchestration.taskHistoryRetentionLimit, 0);
  checkInteger(p, 'raft.snapshotInterval', raft.snapshotInterval, 1);
  checkInteger(p, 'raft.logEntriesForSlowFollowers', raft.logEntriesForSlowFollowers, 0);
  checkInteger(p, 'raft.heartbeatTick', raft.heartbeatTick, 1);
  checkInteger(p, 'raft.electionTick', raft.electionTick, 1);
  checkInteger(p, 'raft.keepOldSnapshots', raft.keepOldSnapshots, 0);
  if (raft.electionTick <= raft.heartbeatTick) {
    p.add('raft.electionTick', `raft.electionTick (${raft.electionTick}) must be greater than raft.heartbeatTick (${raft.heartbeatTick})`);
  }
  checkPositiveDurationMs(p, 'dispatcher.heartbeatPeriodMs', dispatcher.heartbeatPeriodMs);
  checkDurationMs(p, 'caConfig.nodeCertExpiryMs', nodeCertExpiryMs, D.MIN_NODE_CERT_EXPIRY_MS);
  const externalCas = checkExternalCas(p, input.caConfig?.externalCas ?? []);
  checkPositiveDurationMs(p, 'gossip.keyRotationIntervalMs', gossip.keyRotationIntervalMs);
  checkAddrPool(p, networkPool.defaultAddrPool, networkPool.subnetSize);

  const spec: ClusterSpec = {
    annotations: { name, labels },
    orchestration,
    raft,
    dispatcher,
    caConfig: { nodeCertExpiryMs, externalCas },
    gossip,
    networkPool,
  };
  return { spec, problems: p.list };
}

function checkExternalCas(p: Problems, inputs: ReadonlyArray<SpecInput<ExternalCa>>): ExternalCa[] {
  return inputs.map((input, i) => {
    const at = `caConfig.externalCas[${i}]`;
    const ca: ExternalCa = { protocol: input.protocol || 'cfssl', url: input.url ?? '', options: { ...(input.options ?? {}) } as Record<string, string> };
    if (ca.protocol !== 'cfssl') p.add(`${at}.protocol`, `${at}.protocol must be "cfssl" (got ${JSON.stringify(ca.protocol)})`);
    let url: URL | undefined;
    try {
      url = new URL(ca.url);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
      p.add(`${at}.url`, `${at}.url must be an http(s) URL (got ${JSON.stringify(ca.url)})`);
    }
    return ca;
  });
}

function checkAddrPool(p: Problems, pools: string[], subnetSize: number): void {
  checkInteger(p, 'networkPool.subnetSize', subnetSize, 1, MAX_SUBNET_SIZE);
  if (pools.length === 0) p.add('networkPool.defaultAddrPool', 'networkPool.defaultAddrPool must list at least one CIDR');
  const seen: Array<{ cidr: Cidr; index: number }> = [];
  pools.forEach((text, i) => {
    const at = `networkPool.defaultAddrPool[${i}]`;
    const cidr = parseCidr(text);
    if (!cidr || cidr.address.family !== 4) {
      p.add(at, `${at} ${JSON.stringify(text)} is not a valid IPv4 CIDR (like 10.0.0.0/8)`);
      return;
    }
    const network: Cidr = { address: networkOf(cidr), prefix: cidr.prefix };
    if (network.address.value !== cidr.address.value) p.add(at, `${at} ${JSON.stringify(text)} has host bits set: it should be ${formatCidr(network)}`);
    if (subnetSize < cidr.prefix) p.add('networkPool.subnetSize', `networkPool.subnetSize (${subnetSize}) must be >= the prefix of ${at} (${text})`);
    const clash = seen.find((s) => cidrsOverlap(s.cidr, network));
    if (clash) p.add(at, `${at} ${text} overlaps networkPool.defaultAddrPool[${clash.index}] ${formatCidr(clash.cidr)}`);
    seen.push({ cidr: network, index: i });
  });
}
