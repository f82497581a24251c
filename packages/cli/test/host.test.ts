import { describe, expect, it } from 'vitest';
import { CliError } from '../src/errors.js';
import { parseHost } from '../src/host.js';

describe('parseHost', () => {
  it('takes unix:///absolute/path and targets that socket', () => {
    expect(parseHost('unix:///run/x/flotilla.sock')).toEqual({
      url: 'unix:///run/x/flotilla.sock',
      target: 'unix:///run/x/flotilla.sock',
      transport: 'unix',
    });
  });

  it('takes tcp://HOST[:PORT] (a manager, over mutual TLS), 2377 when no port is given', () => {
    expect(parseHost('tcp://10.0.0.1:2400')).toEqual({ url: 'tcp://10.0.0.1:2400', target: '10.0.0.1:2400', transport: 'tcp' });
    expect(parseHost('tcp://manager1').target).toBe('manager1:2377');
    expect(parseHost('tcp://[::1]:2377').target).toBe('[::1]:2377');
  });

  it.each([
    ['unix://relative.sock', 'invalid host "unix://relative.sock": expected unix:///absolute/path.sock'],
    ['/var/run/x.sock', 'invalid host "/var/run/x.sock": expected unix:///path/to/flotilla.sock or tcp://HOST[:PORT]'],
    ['http://10.0.0.1:2377', 'invalid host "http://10.0.0.1:2377": expected unix:///path/to/flotilla.sock or tcp://HOST[:PORT]'],
    ['https://10.0.0.1:2377', 'invalid host "https://10.0.0.1:2377": expected unix:///path/to/flotilla.sock or tcp://HOST[:PORT]'],
    ['tcp://10.0.0.1:2377/path', 'invalid host "tcp://10.0.0.1:2377/path": expected unix:///path/to/flotilla.sock or tcp://HOST[:PORT]'],
    ['tcp://', 'invalid host "tcp://": expected unix:///path/to/flotilla.sock or tcp://HOST[:PORT]'],
  ])('rejects %s with one clear usage error', (raw, message) => {
    const attempt = () => parseHost(raw);
    expect(attempt).toThrow(CliError);
    expect(attempt).toThrow(message);
    try {
      attempt();
    } catch (err) {
      expect((err as CliError).exitCode).toBe(2);
    }
  });
});
