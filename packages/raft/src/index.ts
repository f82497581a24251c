export * from './storage/index.js';
export * from './core/index.js';
export * from './store/index.js';
