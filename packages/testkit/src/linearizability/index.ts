export * from './model.js';
export * from './checker.js';
export * from './register.js';
