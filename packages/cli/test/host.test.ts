import { describe, expect, it } from 'vitest';
import { CliError } from '../src/errors.js';
import { parseHost } from '../src/host.js';

describe('parseHost', () => {
  it('takes unix:///absolute/path and targets that socket', () => {
    expect(parseHost('unix:///run/x/flotilla.sock')).toEqual({
      url: 'unix:///run/x/flotilla.sock',
      target: 'unix:///run/x/flotilla.sock',
    });
  });

  it.each([
    ['unix://relative.sock', 'invalid host "unix://relative.sock": expected unix:///absolute/path.sock'],
    ['/var/run/flotilla.sock', 'invalid host "/var/run/flotilla.sock": expected unix:///path/to/flotilla.sock'],
    ['tcp://10.0.0.1:2377', 'invalid host "tcp://10.0.0.1:2377": only unix:// hosts are supported so far'],
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
