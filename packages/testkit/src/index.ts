export * from './wait.js';
export * from './temp.js';
export * from './pki.js';
export * from './nats.js';
