export * from './wait.js';
export * from './temp.js';
export * from './pki.js';
export * from './nats.js';
export * from './test-hosts/index.js';
export * from './linearizability/index.js';
export * from './fill-disk.js';
export * from './log-lines.js';
