import type { GossipPacket } from '@flotilla/api';

export type MemberState = 'alive' | 'suspect' | 'dead' | 'left';

export interface MemberView {
  readonly id: string;
  readonly addr: string;
  readonly incarnation: number;
  readonly state: MemberState;
  readonly meta: Uint8Array;
  /** Local time of the last state change (for reaping and gossip-to-the-dead). */
  readonly since: number;
}

/**
 * What the state machine tells its owner. `join`: a member appeared (or came back after
 * being dead); `alive`: a suspect refuted; `update`: same member, new address or meta.
 */
export type MembershipEvent =
  | { readonly type: 'join' | 'alive' | 'suspect' | 'dead' | 'left' | 'update'; readonly member: MemberView }
  | { readonly type: 'user'; readonly origin: string; readonly seq: number; readonly topic: string; readonly payload: Uint8Array };

/** A packet for the transport; reliable ones (push/pull) go over TCP. */
export interface OutgoingPacket {
  readonly to: string;
  readonly packet: GossipPacket;
  readonly reliable: boolean;
}

export interface SwimOutput {
  readonly packets: OutgoingPacket[];
  readonly events: MembershipEvent[];
}

export interface SwimStats {
  probes: number;
  indirectProbes: number;
  failedProbes: number;
  nacksReceived: number;
  refutations: number;
  pushPulls: number;
}
