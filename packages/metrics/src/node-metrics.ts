import type { Node, Service, SwarmInfo, Task } from '@flotilla/api';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { clusterSamples, type ClusterSamples, type Sample } from './cluster-samples.js';
import { nodeSamples, type RaftFacts } from './node-samples.js';

/** What a scrape reads, at the moment of the scrape. A worker has no store and no Raft. */
export interface MetricsSources {
  swarm(): SwarmInfo;
  /** The store's nodes, services and tasks: on a manager only. */
  cluster(): { nodes: Iterable<Node>; services: Iterable<Service>; tasks: Iterable<Task> } | undefined;
  raft(): RaftFacts | undefined;
}

/** Events the daemon reports as they happen (counters and histograms cannot be read back later). */
export interface MetricsEvents {
  /** This member saw a new leader (or lost it). */
  leaderChanged(): void;
  /** A store write (a Raft proposal) took `seconds` from proposing to applied, or failed. */
  storeWrite(seconds: number, outcome: 'ok' | 'error'): void;
}

export interface NodeMetrics extends MetricsEvents {
  readonly registry: Registry;
  /** The Prometheus text exposition of every metric. */
  scrape(): Promise<string>;
  readonly contentType: string;
}

// Raft proposals commit in milliseconds on a quiet cluster and in seconds around an election.
const STORE_WRITE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function setAll<L extends string>(gauge: Gauge<L>, samples: readonly Sample<L>[]): void {
  // Series of combinations that no longer occur must go, not stay at their last value.
  gauge.reset();
  for (const s of samples) gauge.set(s.labels as Partial<Record<L, string>>, s.value);
}

/** One registry per daemon: `flotilla_` metrics from the sources, plus the process's own. */
export function createNodeMetrics(sources: MetricsSources): NodeMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'flotilla_' });
  const registers = [registry];

  // The store is read once per scrape (in scrape(), below), for the three gauges that show it.
  let current: ClusterSamples | undefined;
  const cluster = () => current;

  new Gauge({
    name: 'flotilla_tasks',
    help: 'Tasks in the store by service, observed state and desired state (managers only).',
    labelNames: ['service', 'state', 'desired_state'] as const,
    registers,
    collect() {
      setAll(this, cluster()?.tasks ?? []);
    },
  });
  new Gauge({
    name: 'flotilla_nodes',
    help: 'Nodes in the store by state, role and availability (managers only).',
    labelNames: ['state', 'role', 'availability'] as const,
    registers,
    collect() {
      setAll(this, cluster()?.nodes ?? []);
    },
  });
  new Gauge({
    name: 'flotilla_services',
    help: 'Services in the store by mode (managers only).',
    labelNames: ['mode'] as const,
    registers,
    collect() {
      setAll(this, cluster()?.services ?? []);
    },
  });

  // Raft's gauges exist only while this node is a manager: a label-less gauge without a value
  // would read 0, and a worker has no term (nor a manager a snapshot before its first). Each is
  // added and removed at each scrape.
  const raftGauges: { name: string; gauge: Gauge; read: (r: RaftFacts) => number | undefined }[] = [];
  const raftGauge = (name: string, help: string, read: (r: RaftFacts) => number | undefined) =>
    raftGauges.push({
      name,
      read,
      gauge: new Gauge({
        name,
        help,
        registers: [],
        collect() {
          const r = sources.raft();
          const v = r ? read(r) : undefined;
          if (v !== undefined) this.set(v);
        },
      }),
    });
  raftGauge('flotilla_raft_term', 'Current Raft term of this manager.', (r) => r.term);
  raftGauge('flotilla_raft_commit_index', 'Highest Raft log index known committed.', (r) => r.commit);
  raftGauge('flotilla_raft_applied_index', 'Highest Raft log index applied to the store.', (r) => r.applied);
  raftGauge('flotilla_raft_snapshot_index', 'Raft log index of the last snapshot.', (r) => r.snapshotIndex);
  raftGauge('flotilla_raft_voters', 'Raft voters this manager knows.', (r) => r.voters);
  raftGauge('flotilla_raft_is_leader', '1 on the Raft leader, 0 on the other managers.', (r) => (r.isLeader ? 1 : 0));
  raftGauge('flotilla_raft_last_snapshot_duration_seconds', 'How long the last snapshot took, encoding to log compacted.', (r) => r.lastSnapshotSeconds);

  const leaderChanges = new Counter({ name: 'flotilla_raft_leader_changes_total', help: 'Leader changes this manager saw.', registers });
  const storeWrites = new Histogram({
    name: 'flotilla_store_write_duration_seconds',
    help: 'Store writes (Raft proposals) from proposing to applied, by outcome.',
    labelNames: ['outcome'] as const,
    buckets: STORE_WRITE_BUCKETS,
    registers,
  });

  new Counter({
    name: 'flotilla_refused_total',
    help: 'Inputs refused before or at authentication, by listener (nats, manager_port, gossip, dns) and cause; the counts `flotilla info` shows.',
    labelNames: ['listener', 'cause'] as const,
    registers,
    collect() {
      // The daemon keeps the totals; a scrape copies them (reset + inc = set, for a counter).
      this.reset();
      for (const s of nodeSamples(sources.swarm()).refused) this.inc(s.labels, s.value);
    },
  });
  new Gauge({
    name: 'flotilla_gossip_members',
    help: 'Gossip members this node knows, by state.',
    labelNames: ['state'] as const,
    registers,
    collect() {
      setAll(this, nodeSamples(sources.swarm()).gossipMembers);
    },
  });

  return {
    registry,
    contentType: registry.contentType,
    scrape: () => {
      const c = sources.cluster();
      current = c ? clusterSamples(c.nodes, c.services, c.tasks) : undefined;
      const raft = sources.raft();
      for (const { name, gauge, read } of raftGauges) {
        const wanted = raft !== undefined && read(raft) !== undefined;
        const present = registry.getSingleMetric(name) !== undefined;
        if (wanted && !present) registry.registerMetric(gauge);
        if (!wanted && present) registry.removeSingleMetric(name);
      }
      return registry.metrics();
    },
    leaderChanged: () => leaderChanges.inc(),
    storeWrite: (seconds, outcome) => storeWrites.observe({ outcome }, seconds),
  };
}
