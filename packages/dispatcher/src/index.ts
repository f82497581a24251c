export { HeartbeatTracker, DEFAULT_HEARTBEAT_PERIOD_MS, DEFAULT_GRACE_MULTIPLIER } from './heartbeat/heartbeat-tracker.js';
export { DeadlineTimer } from './heartbeat/deadline-timer.js';
export type { DispatcherBackend, AssignmentChange, AssignmentWatch, TaskStatusWrite, HeartbeatSettings } from './backend.js';
export { SessionTable, type Session } from './session/session-table.js';
export { sessionNotFound } from './session/session-errors.js';
export { AssignmentStream } from './assignments/assignment-stream.js';
export { StatusBatcher, type StatusBatcherOptions } from './status/status-batcher.js';
export { Dispatcher, DEFAULT_STATUS_BATCH, type DispatcherOptions } from './dispatcher.js';
