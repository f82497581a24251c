import { describe, expect, it } from 'vitest';
import { natsServersForManagers } from '../src/swarm/manager-list.js';

describe('natsServersForManagers', () => {
  const joined = { natsServers: ['tls://10.0.0.1:4222'] };

  it('turns the managers join addresses into NATS URLs on the port the worker already uses', () => {
    expect(natsServersForManagers(joined, ['10.0.0.2:2377', '10.0.0.1:2377', '10.0.0.3:2377'])).toEqual([
      'tls://10.0.0.1:4222',
      'tls://10.0.0.2:4222',
      'tls://10.0.0.3:4222',
    ]);
  });

  it('says nothing changed for the same managers in another order', () => {
    expect(natsServersForManagers({ natsServers: ['tls://10.0.0.2:4222', 'tls://10.0.0.1:4222'] }, ['10.0.0.1:2377', '10.0.0.2:2377'])).toBeUndefined();
  });

  it('drops a manager that left and keeps IPv6 hosts whole', () => {
    expect(natsServersForManagers({ natsServers: ['tls://10.0.0.1:4222', 'tls://10.0.0.2:4222'] }, ['10.0.0.2:2377'])).toEqual(['tls://10.0.0.2:4222']);
    expect(natsServersForManagers({ natsServers: ['tls://[fd00::1]:4222'] }, ['[fd00::1]:2377', '[fd00::2]:2377'])).toEqual(['tls://[fd00::1]:4222', 'tls://[fd00::2]:4222']);
  });

  it('changes nothing without managers, without a known port, or for addresses without a host', () => {
    expect(natsServersForManagers(joined, [])).toBeUndefined();
    expect(natsServersForManagers({ natsServers: [] }, ['10.0.0.2:2377'])).toBeUndefined();
    expect(natsServersForManagers(joined, [':2377'])).toBeUndefined();
  });
});
