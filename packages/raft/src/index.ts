export * from './storage/index.js';
export * from './core/index.js';
export * from './store/index.js';
export * from './transport/index.js';
export * from './member/index.js';
export * from './store-service/index.js';
export * from './store-access.js';
export * from './store-follow.js';
