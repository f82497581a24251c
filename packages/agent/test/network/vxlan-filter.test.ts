import { describe, expect, it } from 'vitest';
import { macForIp, vniMatch, vxlanFilterRestore, vxlanPeersOf, type OverlayDesired } from '../../src/network/index.js';

describe('the VXLAN filter rules (pure)', () => {
  const desired = (vni: number, local: string): OverlayDesired => ({
    network: { id: `n${vni}`, vni, subnet: '10.9.0.0/24', gateway: '10.9.0.1' },
    peers: ['198.18.0.11', '198.18.0.12', '198.18.0.13'],
    endpoints: [
      { ip: '10.9.0.2', mac: macForIp('10.9.0.2'), node: '198.18.0.12' },
      // A node that runs a task but is missing from the peers still sends its frames.
      { ip: '10.9.0.3', mac: macForIp('10.9.0.3'), node: '198.18.0.14' },
      { ip: '10.9.0.4', mac: macForIp('10.9.0.4'), node: local },
    ],
  });

  it('takes frames from the VTEPs the node sends to, never from itself', () => {
    expect(vxlanPeersOf(desired(4101, '198.18.0.11'), '198.18.0.11')).toEqual({ vni: 4101, vteps: ['198.18.0.12', '198.18.0.13', '198.18.0.14'] });
  });

  it('matches the VNI 12 bytes into the UDP payload, past an IP header of any length', () => {
    expect(vniMatch(4101)).toBe('0>>22&0x3C@12>>8=4101');
  });

  it('renders one RETURN per VNI and VTEP, then DROP, as one replacement of the chain', () => {
    expect(vxlanFilterRestore([{ vni: 4102, vteps: ['198.18.0.13'] }, { vni: 4101, vteps: ['198.18.0.12', '198.18.0.13'] }])).toBe(
      [
        '*filter',
        ':FLT-VXLAN-IN - [0:0]',
        '-A FLT-VXLAN-IN -s 198.18.0.12/32 -p udp -m udp --dport 4789 -m u32 --u32 "0>>22&0x3C@12>>8=4101" -j RETURN',
        '-A FLT-VXLAN-IN -s 198.18.0.13/32 -p udp -m udp --dport 4789 -m u32 --u32 "0>>22&0x3C@12>>8=4101" -j RETURN',
        '-A FLT-VXLAN-IN -s 198.18.0.13/32 -p udp -m udp --dport 4789 -m u32 --u32 "0>>22&0x3C@12>>8=4102" -j RETURN',
        '-A FLT-VXLAN-IN -j DROP',
        'COMMIT',
        '',
      ].join('\n'),
    );
  });
});
