export { Keyring, newGossipKey, KEY_BYTES, PACKET_OVERHEAD } from './crypto/keyring.js';
export * from './swim/index.js';
export { GossipNode, type GossipNodeOptions, type GossipNodeStats } from './transport/gossip-node.js';
export { GossipSockets } from './transport/sockets.js';
export { sealPacket, openPacket } from './transport/sealed-codec.js';
export { parseAddr, formatAddr } from './transport/address.js';
export { NetworkDb, ENDPOINT_TABLE, VTEP_TABLE, type NetworkDbOptions, type NetworkDbChange, type NetworkDbGroupStats } from './networkdb/network-db.js';
export { LamportClock } from './networkdb/lamport.js';
export { NetworkDbGossip, NETWORKDB_TOPIC } from './networkdb/networkdb-gossip.js';
