// `flotillad service <name> …` (issue 16): arguments in, a config or one clear line out.
import { describe, expect, it } from 'vitest';
import { parseServiceArgs } from '../src/services/service-args.js';

const TOKEN = 'SWMTKN-1-abc-def';

describe('flotillad service flags', () => {
  it('takes the service, the manager to join and the service token, with a 3 s lease by default', () => {
    expect(parseServiceArgs(['scheduler', '--join', '127.0.0.31:2377', '--token', TOKEN], {})).toEqual({
      kind: 'run',
      config: { service: 'scheduler', joinAddr: '127.0.0.31:2377', token: TOKEN, logLevel: 'info', leaseDurationMs: 3_000 },
    });
  });

  it('reads the token from FLOTILLA_SERVICE_TOKEN, so it need not show in the process list', () => {
    const out = parseServiceArgs(['allocator', '--join', 'm1:2377', '--lease-duration', '1500ms', '--log-level', 'debug'], { FLOTILLA_SERVICE_TOKEN: TOKEN });
    expect(out).toMatchObject({ kind: 'run', config: { service: 'allocator', token: TOKEN, leaseDurationMs: 1_500, logLevel: 'debug' } });
  });

  it.each([
    [['dispatcher', '--join', 'm:1', '--token', TOKEN], 'flotillad service: "dispatcher" is not a manager service that runs as its own process; expected one of scheduler, orchestrator, allocator\n'],
    [['scheduler', '--token', TOKEN], "flotillad service: required option '--join <host:port>' not specified (see 'flotillad service --help')\n"],
    [['scheduler', '--join', 'm1', '--token', TOKEN], 'flotillad service: invalid --join "m1": expected host:port of a manager\n'],
    [['scheduler', '--join', 'm1:2377'], /^flotillad service: no service join token: give --token or set FLOTILLA_SERVICE_TOKEN/],
    [['scheduler', '--join', 'm1:2377', '--token', TOKEN, '--lease-duration', '10ms'], 'flotillad service: invalid --lease-duration "10ms": expected 500ms to 60s\n'],
    [['scheduler', '--join', 'm1:2377', '--token', TOKEN, '--lease-duration', 'soon'], /^flotillad service: invalid --lease-duration "soon": /],
    [[], /^flotillad service: (missing required argument 'name'|required option '--join <host:port>' not specified)/],
  ])('refuses %j with one clear line and exit code 2', (args, expected) => {
    const out = parseServiceArgs(args, {});
    expect(out).toMatchObject({ kind: 'exit', code: 2, stdout: '' });
    const stderr = out.kind === 'exit' ? out.stderr : '';
    if (typeof expected === 'string') expect(stderr).toBe(expected);
    else expect(stderr).toMatch(expected);
  });
});
