import { describe, expect, it } from 'vitest';
import { PublishedPorts, VxlanIds, FIRST_VXLAN_ID, DYNAMIC_PORT_RANGE } from '../src/index.js';

describe('PublishedPorts', () => {
  it('refuses a port another service publishes, per protocol', () => {
    const ports = new PublishedPorts();
    ports.claim('tcp', 8080, 'web');
    expect(() => ports.claim('tcp', 8080, 'api')).toThrow('port 8080/tcp is already published by service web');
    ports.claim('udp', 8080, 'api');
    ports.claim('tcp', 8080, 'web'); // re-claim by the owner is fine
    expect(ports.ownerOf('udp', 8080)).toBe('api');
  });

  it('hands out dynamic ports from 30000 upward and frees them with the owner', () => {
    const ports = new PublishedPorts();
    ports.claim('tcp', DYNAMIC_PORT_RANGE.first, 'x');
    expect(ports.claimDynamic('tcp', 'y')).toBe(DYNAMIC_PORT_RANGE.first + 1);
    ports.releaseOwner('x');
    expect(ports.claimDynamic('tcp', 'z')).toBe(DYNAMIC_PORT_RANGE.first);
  });

  it('rejects out-of-range ports', () => {
    expect(() => new PublishedPorts().claim('tcp', 70000, 'x')).toThrow('out of range 1-65535');
  });
});

describe('VxlanIds', () => {
  it('starts at 4096, refuses duplicates and low ids', () => {
    const ids = new VxlanIds();
    expect(ids.allocate()).toBe(FIRST_VXLAN_ID);
    ids.reserve(5000);
    expect(() => ids.reserve(5000)).toThrow('already in use');
    expect(() => ids.reserve(100)).toThrow('out of range');
    ids.release(FIRST_VXLAN_ID);
    expect(ids.allocate()).toBe(FIRST_VXLAN_ID);
  });
});
