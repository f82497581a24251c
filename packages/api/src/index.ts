// Generated types and codecs: the one source of truth for every object and wire message.
export * from './gen/flotilla/meta.js';
export * from './gen/flotilla/common.js';
export * from './gen/flotilla/cluster.js';
export * from './gen/flotilla/node.js';
export * from './gen/flotilla/container.js';
export * from './gen/flotilla/service.js';
export * from './gen/flotilla/task.js';
export * from './gen/flotilla/network.js';
export * from './gen/flotilla/ca.js';
export * from './gen/flotilla/control.js';

// Spec parsing and validation (pure functions, no I/O).
export * from './spec/errors.js';
export * from './spec/constraint.js';
export * from './spec/duration.js';
export * from './spec/size.js';
export * from './spec/image.js';
export * from './spec/ports.js';
export * from './spec/cidr.js';
export * from './spec/name.js';
export * from './spec/defaults.js';
export type { SpecInput } from './spec/problems.js';
export * from './spec/service.js';
export * from './spec/node.js';
export * from './spec/network.js';
export * from './spec/cluster.js';
export * from './gen/flotilla/secret.js';
export * from './spec/secret.js';
export * from './ids.js';
export * from './gen/flotilla/bus.js';
export * from './gen/flotilla/raft.js';
export * from './gen/flotilla/store.js';
export * from './gen/flotilla/raft_bus.js';
export * from './spec/constraint-match.js';
export * from './task-state.js';
export * from './gen/flotilla/gossip.js';
export * from './gen/flotilla/dispatcher.js';
export * from './gen/flotilla/logs.js';
