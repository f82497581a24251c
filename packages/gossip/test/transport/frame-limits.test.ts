import { GossipPacket, GossipMemberState } from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import { Keyring, makeSwimConfig, MAX_FRAME_BYTES, newGossipKey, sealPacket } from '../../src/index.js';

// The derivation of MAX_FRAME_BYTES (src/transport/limits.ts), checked against the encoder.
describe('the push/pull frame cap', () => {
  it('holds the full state of 5,000 members at the worst case of every field, with room to spare but not much', () => {
    const worst = {
      id: 'z'.repeat(25),
      addr: '[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535',
      incarnation: 2 ** 63, // a 10-byte varint, the longest there is
      state: GossipMemberState.GOSSIP_MEMBER_LEFT,
      meta: Buffer.alloc(64, 0xff),
    };
    const packet: GossipPacket = {
      from: worst.id,
      fromAddr: worst.addr,
      body: { $case: 'pushPull', value: { reply: true, join: true, members: Array.from({ length: 5000 }, () => worst) } },
      rumours: [],
    };
    expect(GossipPacket.encode(packet).finish().length).toBe(790_084);
    const sealed = sealPacket(new Keyring(newGossipKey()), packet);
    expect(sealed.length).toBe(790_113);
    expect(sealed.length).toBeLessThanOrEqual(MAX_FRAME_BYTES);
    expect(sealed.length).toBeGreaterThan(0.7 * MAX_FRAME_BYTES);
  });

  it('no configuration makes datagrams bigger than receivers open', () => {
    expect(() => makeSwimConfig({ maxPacketBytes: 8001 })).toThrow(/maxPacketBytes must be at most 8000/);
    expect(makeSwimConfig({ maxPacketBytes: 8000 }).maxPacketBytes).toBe(8000);
  });
});
