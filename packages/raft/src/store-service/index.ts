export { StoreService, type StoreServiceOptions } from './server.js';
export { StoreClient, StoreFollower, type StoreClientOptions, type StoreFollowerHandlers } from './client.js';
