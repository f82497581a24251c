export * from './storage/index.js';
export * from './core/index.js';
