export { StoreService, type StoreServiceOptions } from './server.js';
export { StoreClient, StoreFollower, StoreReplica, type StoreClientOptions, type StoreFollowerHandlers } from './client.js';
export { replicaStoreAccess, type ReplicaStoreAccessOptions } from './replica-access.js';
export { storeErrorFromBus } from './errors.js';
