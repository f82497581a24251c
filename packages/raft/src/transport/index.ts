export { NatsRaftTransport, type NatsRaftTransportOptions, type TransportStats } from './nats-transport.js';
export { ChunkAssembler, DEFAULT_CHUNK_BYTES, encodeFrames } from './chunks.js';
export { dropIncomingFrom, dropOutgoingTo, isolateFrom, type Direction, type DropFilter } from './drop-filter.js';
