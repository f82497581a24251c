import { describe, expect, it } from 'vitest';
import { IpvsBackend, ipvsRestoreLines, parseIpvsSave, vipKey, type CommandRunner, type IpvsService, type Vip } from '../src/index.js';

// IPVS cannot run on this machine (/proc/net/ip_vs is missing, see TOOLCHAIN.md), so these
// tests check the ipvsadm input we compute, not packets. The iptables back end is the one
// tested with real packets (iptables-netns.test.ts).
const vip: Vip = { addr: '198.19.0.1', port: 80, protocol: 'tcp' };
const b = (n: number) => ({ addr: `10.0.0.${n}`, port: 8080 });

describe('ipvsadm command generation (pure; IPVS cannot run here)', () => {
  it('creates a round-robin masquerading service with its backends', () => {
    expect(ipvsRestoreLines([], [{ vip, backends: [b(1), b(2)] }], new Set([vipKey(vip)]))).toEqual([
      '-A -t 198.19.0.1:80 -s rr',
      '-a -t 198.19.0.1:80 -r 10.0.0.1:8080 -m -w 1',
      '-a -t 198.19.0.1:80 -r 10.0.0.2:8080 -m -w 1',
    ]);
  });

  it('replaces a backend list by adding new ones before deleting gone ones, keeping those that stay', () => {
    const installed: IpvsService[] = [{ vip, backends: [b(1), b(2)] }];
    expect(ipvsRestoreLines(installed, [{ vip, backends: [b(2), b(3)] }], new Set([vipKey(vip)]))).toEqual([
      '-a -t 198.19.0.1:80 -r 10.0.0.3:8080 -m -w 1',
      '-d -t 198.19.0.1:80 -r 10.0.0.1:8080',
    ]);
  });

  it('deletes a managed service that is no longer wanted and never touches unmanaged ones', () => {
    const udp: Vip = { addr: '198.19.0.2', port: 53, protocol: 'udp' };
    const foreign: Vip = { addr: '172.17.0.9', port: 80, protocol: 'tcp' };
    const installed: IpvsService[] = [{ vip: udp, backends: [b(4)] }, { vip: foreign, backends: [b(9)] }];
    expect(ipvsRestoreLines(installed, [], new Set([vipKey(udp)]))).toEqual(['-D -u 198.19.0.2:53']);
  });

  it('reads ipvsadm -Sn output, ignoring fwmark services', () => {
    const save = ['-A -t 198.19.0.1:80 -s rr', '-a -t 198.19.0.1:80 -r 10.0.0.1:8080 -m -w 1', '-A -f 256 -s rr', '-a -f 256 -r 10.0.0.7:0 -m -w 1', ''].join('\n');
    expect(parseIpvsSave(save)).toEqual([{ vip, backends: [b(1)] }]);
  });

  it('IpvsBackend sends the computed difference to ipvsadm -R (ipvsadm replaced by a recorder: no IPVS here)', async () => {
    const state: IpvsService[] = [];
    const sent: string[] = [];
    const run: CommandRunner = async (argv, input) => {
      if (argv.join(' ') === 'ipvsadm -Sn') {
        return state.flatMap((s) => [`-A -t ${s.vip.addr}:${s.vip.port} -s rr`, ...s.backends.map((x) => `-a -t ${s.vip.addr}:${s.vip.port} -r ${x.addr}:${x.port} -m -w 1`)]).join('\n');
      }
      sent.push(input ?? '');
      state.splice(0, state.length, ...parseIpvsSave((input ?? '').replace(/^-d .*$/gm, '')));
      return '';
    };
    const lb = new IpvsBackend({ run });
    await lb.ensureService(vip, [b(1)]);
    await expect(lb.ensureService(vip, [b(1), b(1)])).rejects.toThrow(/listed twice/);
    await lb.removeService(vip);
    expect(sent).toEqual(['-A -t 198.19.0.1:80 -s rr\n-a -t 198.19.0.1:80 -r 10.0.0.1:8080 -m -w 1\n', '-D -t 198.19.0.1:80\n']);
  });
});
