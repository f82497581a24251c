import type { StreamLimits } from './stream-admission.js';

/**
 * The largest push/pull frame a node reads: 1 MiB.
 *
 * Derived from the encoding of the largest legitimate push/pull, the full state of 5,000
 * members, each at the worst case of every field (test/transport/frame-limits.test.ts encodes
 * it): a GossipMember with a 25-character node id (27 bytes with tag and length), an IPv6
 * "[ffff:…:ffff]:65535" address (49), an incarnation needing the longest varint (11), state
 * LEFT (2) and 64 bytes of meta (66) is 155 bytes, 158 with its tag and two-byte length inside
 * GossipPushPull; 5,000 of them plus the packet's own from/from_addr/flags (84 bytes) encode
 * to 790,084 bytes, and sealing adds 29 (version, nonce, GCM tag): 790,113. 1 MiB leaves a
 * third over that (about 6,600 worst-case members; flotillad's members, an IPv4 address, a
 * small incarnation and no meta, take 66 bytes each, so about 15,800). A node whose own state
 * outgrows the cap cannot push it: it says so in its log.
 */
export const MAX_FRAME_BYTES = 1024 * 1024;

/**
 * The largest datagram opened: 8 KiB. The protocol fills datagrams up to `maxPacketBytes`
 * (1,400 by default; makeSwimConfig refuses more than MAX_DATAGRAM_BYTES minus the seal), so
 * anything bigger is not ours and is dropped before decryption.
 */
export const MAX_DATAGRAM_BYTES = 8 * 1024;

export const DEFAULT_STREAM_LIMITS: StreamLimits = {
  maxFrameBytes: MAX_FRAME_BYTES,
  // A 1 MiB frame takes under a second at 10 Mbit/s; a stream still open after 5 s is not a peer's.
  streamDeadlineMs: 5_000,
  // A peer has one push/pull (or its reply) open at a time; joins add one per seed.
  maxStreamsPerSource: 4,
  // Strangers (addresses of no current member: joining nodes, and anyone else).
  maxStreams: 32,
  // Members push/pull with one random peer every interval: even at 5,000 members a node rarely
  // has more than a few open at once; 256 leaves room for bursts after a partition heals.
  maxMemberStreams: 256,
  // Eight full frames in flight at once, for strangers and for members each; a peer's real
  // frames (hundreds of bytes to a few hundred kB) rarely wait for one another.
  maxBufferedBytes: 8 * MAX_FRAME_BYTES,
  maxDatagramBytes: MAX_DATAGRAM_BYTES,
};
