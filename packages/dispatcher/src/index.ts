export { HeartbeatTracker, DEFAULT_HEARTBEAT_PERIOD_MS, DEFAULT_GRACE_MULTIPLIER } from './heartbeat/heartbeat-tracker.js';
