import {
  EndpointMode,
  RestartCondition,
  UpdateFailureAction,
  UpdateOrder,
  type RestartPolicy,
  type UpdateConfig,
} from '../gen/flotilla/service.js';

// Docker's defaults for swarm services (swarmkit api/defaults).
export const DEFAULT_REPLICAS = 1;
export const DEFAULT_RESTART_CONDITION = RestartCondition.RESTART_CONDITION_ANY;
export const DEFAULT_RESTART_DELAY_MS = 5_000;
export const DEFAULT_STOP_GRACE_PERIOD_MS = 10_000;
export const DEFAULT_UPDATE_PARALLELISM = 1;
export const DEFAULT_UPDATE_FAILURE_ACTION = UpdateFailureAction.UPDATE_FAILURE_ACTION_PAUSE;
export const DEFAULT_UPDATE_MONITOR_MS = 5_000;
export const DEFAULT_UPDATE_ORDER = UpdateOrder.UPDATE_ORDER_STOP_FIRST;
export const DEFAULT_ENDPOINT_MODE = EndpointMode.ENDPOINT_MODE_VIP;

export function defaultRestartPolicy(): RestartPolicy {
  return { condition: DEFAULT_RESTART_CONDITION, delayMs: DEFAULT_RESTART_DELAY_MS, maxAttempts: 0, windowMs: 0 };
}

/** Update and rollback share these defaults, as in docker. */
export function defaultUpdateConfig(): UpdateConfig {
  return {
    parallelism: DEFAULT_UPDATE_PARALLELISM,
    delayMs: 0,
    failureAction: DEFAULT_UPDATE_FAILURE_ACTION,
    monitorMs: DEFAULT_UPDATE_MONITOR_MS,
    maxFailureRatio: 0,
    order: DEFAULT_UPDATE_ORDER,
  };
}

// Cluster defaults (docker swarm init).
export const DEFAULT_CLUSTER_NAME = 'default';
export const DEFAULT_TASK_HISTORY_RETENTION_LIMIT = 5;
export const DEFAULT_HEARTBEAT_PERIOD_MS = 5_000;
export const DEFAULT_NODE_CERT_EXPIRY_MS = 90 * 24 * 3_600_000;
export const MIN_NODE_CERT_EXPIRY_MS = 3_600_000;
export const DEFAULT_SNAPSHOT_INTERVAL = 10_000;
/** docker's --max-snapshots default: only the newest snapshot is kept. */
export const DEFAULT_KEEP_OLD_SNAPSHOTS = 0;
export const DEFAULT_LOG_ENTRIES_FOR_SLOW_FOLLOWERS = 500;
export const DEFAULT_RAFT_HEARTBEAT_TICK = 1;
export const DEFAULT_RAFT_ELECTION_TICK = 10;
export const DEFAULT_GOSSIP_KEY_ROTATION_INTERVAL_MS = 12 * 3_600_000;
export const DEFAULT_ADDR_POOL = ['10.0.0.0/8'];
export const DEFAULT_SUBNET_SIZE = 24;

// Network defaults.
export const DEFAULT_NETWORK_DRIVER = 'overlay';
