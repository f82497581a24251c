export * from './config.js';
export * from './ports.js';
export * from './server-log.js';
export * from './supervisor.js';
