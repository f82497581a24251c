import { describe, expect, it } from 'vitest';
import { IptablesBackend, parseNatSave, renderRestore, serviceChain, validateBackends, validateVip } from '../src/index.js';

const names = { prefix: 'FLT-Vab12-', top: 'FLT-Vab12-SERVICES' };
const vip = { addr: '198.19.1.2', port: 0, protocol: 'tcp' as const };

describe('iptables VIP on every port (port 0)', () => {
  it('jumps on the address and protocol alone and keeps the port when translating', () => {
    const chain = serviceChain(vip, names);
    expect(chain.length).toBeLessThanOrEqual(28);
    const text = renderRestore([{ vip, backends: [{ addr: '198.19.1.3', port: 0 }, { addr: '198.19.1.4', port: 0 }] }], parseNatSave('', names.prefix, names.top), names);
    expect(text).toContain(`-A FLT-Vab12-SERVICES -d 198.19.1.2/32 -p tcp -j ${chain}`);
    expect(text).toContain(`-A ${chain} -p tcp -m statistic --mode random --probability 0.50000000000 -j DNAT --to-destination 198.19.1.3`);
    expect(text).toContain(`-A ${chain} -p tcp -j DNAT --to-destination 198.19.1.4`);
  });

  it('reads back what iptables-save prints for it as unchanged (nothing rewritten)', () => {
    const chain = serviceChain(vip, names);
    const saved = [
      '*nat',
      `:${names.top} - [0:0]`,
      `:${chain} - [0:0]`,
      `-A PREROUTING -j ${names.top}`,
      `-A OUTPUT -j ${names.top}`,
      `-A ${chain} -p tcp -j DNAT --to-destination 198.19.1.3`,
      `-A ${names.top} -d 198.19.1.2/32 -p tcp -j ${chain}`,
      'COMMIT',
    ].join('\n');
    const text = renderRestore([{ vip, backends: [{ addr: '198.19.1.3', port: 0 }] }], parseNatSave(saved, names.prefix, names.top), names);
    expect(text).toBe('*nat\nCOMMIT\n');
  });

  it('is refused by back ends that need a port, and backends must keep the port', () => {
    expect(() => validateVip(vip)).toThrow(/not an integer in 1\.\.65535/);
    expect(() => validateVip(vip, true)).not.toThrow();
    expect(() => validateBackends(vip, [{ addr: '198.19.1.3', port: 80 }])).toThrow(/must have port 0/);
    expect(() => validateBackends({ ...vip, port: 80 }, [{ addr: '198.19.1.3', port: 0 }])).toThrow(/not an integer/);
  });

  it('a too long chain prefix is refused', async () => {
    const lb = new IptablesBackend({ chainPrefix: 'FLT-THIS-PREFIX-IS-FAR-TOO-LONG-', run: () => Promise.resolve('') });
    await expect(lb.ensureService(vip, [])).rejects.toThrow(/too long/);
  });
});
