export { Keyring, newGossipKey, KEY_BYTES, PACKET_OVERHEAD } from './crypto/keyring.js';
export * from './swim/index.js';
