export { Swim, type SwimOptions } from './swim.js';
export { LAN_CONFIG, fastLanConfig, makeSwimConfig, retransmitLimit, pushPullInterval, type SwimConfig } from './config.js';
export { Suspicion, suspicionBounds, confirmationsWanted } from './suspicion.js';
export { BroadcastQueue } from './broadcast-queue.js';
export { SeededRng, randomInt, shuffleInPlace, type Rng } from './rng.js';
export type { MemberState, MemberView, MembershipEvent, OutgoingPacket, SwimOutput, SwimStats } from './types.js';
