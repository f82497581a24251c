import { describe, expect, it } from 'vitest';
import { parseDaemonArgs, type DaemonConfig, type ParseContext } from '../src/config.js';

const ctx: ParseContext = { cwd: '/home/op', hostname: 'host-a', env: {}, version: '1.2.3' };

function config(args: string[], context: ParseContext = ctx): DaemonConfig {
  const outcome = parseDaemonArgs(args, context);
  if (outcome.kind !== 'run') throw new Error(`expected a config, got exit ${outcome.code}: ${outcome.stderr}`);
  return outcome.config;
}

function rejection(args: string[], context: ParseContext = ctx): string {
  const outcome = parseDaemonArgs(args, context);
  if (outcome.kind !== 'exit') throw new Error(`expected ${JSON.stringify(args)} to be rejected`);
  expect(outcome.code).toBe(2);
  expect(outcome.stdout).toBe('');
  expect(outcome.stderr.split('\n')).toHaveLength(2); // one line and its newline
  return outcome.stderr;
}

describe('flotillad flags', () => {
  it('defaults like dockerd: /var/lib/flotilla, /var/run/flotilla.sock, the hostname, docker.sock', () => {
    expect(config([])).toEqual({
      dataDir: '/var/lib/flotilla',
      controlSocket: '/var/run/flotilla.sock',
      nodeName: 'host-a',
      dockerHost: { url: 'unix:///var/run/docker.sock', kind: 'unix', socketPath: '/var/run/docker.sock' },
      labels: {},
      logLevel: 'info',
      advertiseAddr: '',
      natsPort: 4222,
      natsClusterPort: 6222,
      gossipProbeIntervalMs: 300,
      services: ['scheduler', 'orchestrator', 'allocator'],
    });
  });

  it('takes every flag, resolving relative paths against the working directory', () => {
    expect(
      config([
        '--data-dir', 'state',
        '--control-socket', 'unix:///run/f/ctl.sock',
        '--node-name', 'worker-3',
        '--docker-host', 'tcp://127.0.0.1:2375',
        '--label', 'zone=eu-1',
        '--label', 'storage=ssd',
        '--label', 'empty=',
        '--log-level', 'debug',
        '--advertise-addr', '10.0.0.3:2377',
        '--gossip-probe-interval', '250ms',
        '--services', 'allocator, scheduler',
      ]),
    ).toEqual({
      dataDir: '/home/op/state',
      controlSocket: '/run/f/ctl.sock',
      nodeName: 'worker-3',
      dockerHost: { url: 'tcp://127.0.0.1:2375', kind: 'tcp', host: '127.0.0.1', port: 2375 },
      labels: { zone: 'eu-1', storage: 'ssd', empty: '' },
      logLevel: 'debug',
      advertiseAddr: '10.0.0.3:2377',
      natsPort: 4222,
      natsClusterPort: 6222,
      gossipProbeIntervalMs: 250,
      services: ['scheduler', 'allocator'],
    });
    expect(config(['--control-socket', 'run/ctl.sock']).controlSocket).toBe('/home/op/run/ctl.sock');
  });

  it('takes nats-server monitoring on a loopback address only, off by default', () => {
    const outcome = parseDaemonArgs(['--nats-monitor-addr', '127.0.1.9:8222'], ctx);
    expect(outcome.kind === 'run' && outcome.config.natsMonitorAddr).toEqual({ host: '127.0.1.9', port: 8222 });
    const plain = parseDaemonArgs([], ctx);
    expect(plain.kind === 'run' && plain.config.natsMonitorAddr).toBeUndefined();
  });

  it('runs every singleton manager service in-process by default; none or a list choose (issue 16)', () => {
    expect(config(['--services', 'all']).services).toEqual(['scheduler', 'orchestrator', 'allocator']);
    expect(config(['--services', 'none']).services).toEqual([]);
    expect(config(['--services', 'orchestrator']).services).toEqual(['orchestrator']);
  });

  it('uses DOCKER_HOST when --docker-host is not given', () => {
    expect(config([], { ...ctx, env: { DOCKER_HOST: 'unix:///run/other.sock' } }).dockerHost.url).toBe('unix:///run/other.sock');
    expect(config(['--docker-host', 'unix:///x.sock'], { ...ctx, env: { DOCKER_HOST: 'unix:///run/other.sock' } }).dockerHost.url).toBe(
      'unix:///x.sock',
    );
  });

  it('says so when a bad docker host came from DOCKER_HOST', () => {
    expect(rejection([], { ...ctx, env: { DOCKER_HOST: 'ssh://me@box' } })).toBe(
      'flotillad: invalid docker host "ssh://me@box": expected unix:///path or tcp://host:port (from DOCKER_HOST)\n',
    );
  });

  it.each(['eth0', 'eth0:2377', '192.168.1.5', '[fd00::1]:2377', 'fd00::1'])('accepts advertise address %s', (addr) => {
    expect(config(['--advertise-addr', addr]).advertiseAddr).toBe(addr);
  });

  it.each([
    [['--label', 'foo'], 'flotillad: invalid label "foo": expected key=value\n'],
    [['--label', '=v'], /^flotillad: invalid label "=v": key must start and end with a letter or digit/],
    [['--label', 'a=1', '--label', 'a=2'], 'flotillad: invalid label "a=2": label "a" given twice\n'],
    [['--log-level', 'loud'], 'flotillad: invalid log level "loud": expected one of fatal, error, warn, info, debug, trace, silent\n'],
    [['--docker-host', 'http://x'], 'flotillad: invalid docker host "http://x": expected unix:///path or tcp://host:port\n'],
    [['--docker-host', 'tcp://x'], 'flotillad: invalid docker host "tcp://x": expected tcp://host:port\n'],
    [['--docker-host', 'unix://rel.sock'], 'flotillad: invalid docker host "unix://rel.sock": expected unix:///absolute/path.sock\n'],
    [['--node-name', 'has space'], /^flotillad: invalid node name "has space": use 1-253 letters/],
    [['--advertise-addr', '10.0.0.1:99999'], 'flotillad: invalid advertise address "10.0.0.1:99999": expected <ip|interface>[:port]\n'],
    [['--advertise-addr', 'not an address'], 'flotillad: invalid advertise address "not an address": expected <ip|interface>[:port]\n'],
    [['--control-socket', 'tcp://0.0.0.0:1'], 'flotillad: invalid control socket "tcp://0.0.0.0:1": expected a path or unix:///path\n'],
    [['--control-socket', `/${'d'.repeat(110)}.sock`], /^flotillad: invalid control socket "\/d+\.sock": path too long for a unix socket \(\d+ bytes with the staging name, max 107\)\n$/],
    [['--nats-port', '70000'], 'flotillad: invalid --nats-port "70000": expected a port number 0-65535\n'],
    [['--nats-cluster-port', 'x'], 'flotillad: invalid --nats-cluster-port "x": expected a port number 0-65535\n'],
    [['--nats-monitor-addr', '0.0.0.0:8222'], 'flotillad: invalid --nats-monitor-addr "0.0.0.0:8222": monitoring answers without authentication, so only a loopback address is allowed\n'],
    [['--nats-monitor-addr', '127.0.0.1:0'], 'flotillad: invalid --nats-monitor-addr "127.0.0.1:0": expected host:port with a port 1-65535\n'],
    [['--nats-monitor-addr', '8222'], 'flotillad: invalid --nats-monitor-addr "8222": expected host:port with a port 1-65535\n'],
    [['--gossip-probe-interval', '10ms'], 'flotillad: invalid --gossip-probe-interval "10ms": expected 50ms to 10s\n'],
    [['--gossip-probe-interval', 'often'], /^flotillad: invalid --gossip-probe-interval "often": /],
    [['--services', 'scheduler,dispatcher'], 'flotillad: invalid --services "scheduler,dispatcher": "dispatcher" is not a manager service that can run apart; expected all, none or a comma-separated list of scheduler, orchestrator, allocator\n'],
    [['--services', 'scheduler,scheduler'], 'flotillad: invalid --services "scheduler,scheduler": scheduler is listed twice\n'],
    [['--services', ''], /^flotillad: invalid --services "": "" is not a manager service/],
    [['--lable', 'a=b'], "flotillad: unknown option '--lable' (Did you mean --label?) (see 'flotillad --help')\n"],
    [['--data-dir'], "flotillad: option '--data-dir <path>' argument missing (see 'flotillad --help')\n"],
    [['start'], /^flotillad: too many arguments\. Expected 0 arguments but got 1\. \(see 'flotillad --help'\)\n$/],
  ])('rejects %j with one clear line', (args, expected) => {
    const stderr = rejection(args);
    if (typeof expected === 'string') expect(stderr).toBe(expected);
    else expect(stderr).toMatch(expected);
  });

  it('prints help and the version on stdout and exits 0', () => {
    const help = parseDaemonArgs(['--help'], ctx);
    expect(help).toMatchObject({ kind: 'exit', code: 0, stderr: '' });
    expect(help.kind === 'exit' && help.stdout).toContain('--control-socket <path>');
    expect(parseDaemonArgs(['--version'], ctx)).toEqual({ kind: 'exit', code: 0, stdout: 'flotillad version 1.2.3\n', stderr: '' });
  });
});
