// The compose keys a stack file uses (issue 15) reach the engine as docker passes them, and a
// real container created with them shows each one (init, read-only root, capabilities, sysctls,
// ulimits, extra hosts, stop signal, log driver), and so do the service flags of issue 18 (DNS
// servers, search domains and options, supplementary groups, OOM score, pids limit).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { validateServiceSpec, type Task } from '@flotilla/api';
import Docker from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { containerCreateOptions, withNetworking } from '../src/index.js';

const run = promisify(execFile);

function task(): Task {
  const spec = validateServiceSpec({
    annotations: { name: 'keys' },
    task: {
      container: {
        image: 'flotilla/busybox:latest',
        args: ['sleep', '300'],
        init: true,
        readOnly: true,
        capAdd: ['NET_ADMIN'],
        capDrop: ['MKNOD'],
        sysctls: { 'net.ipv4.ip_unprivileged_port_start': '80' },
        ulimits: [{ name: 'nofile', soft: 1234, hard: 2345 }],
        hosts: ['10.1.2.3 db.local db'],
        stopSignal: 'SIGQUIT',
        dnsConfig: { nameservers: ['10.9.9.9'], search: ['corp.example'], options: ['ndots:3'] },
        groups: ['4321'],
        oomScoreAdj: 500,
        healthcheck: { test: ['CMD', 'true'], startPeriodMs: 30_000, startIntervalMs: 1000 },
      },
      resources: { limits: { pids: 64 } },
      logDriver: { name: 'json-file', options: { 'max-size': '1m' } },
    },
  });
  return { id: `keys${process.pid}`, serviceId: 's', serviceName: 'keys', slot: 1, nodeId: 'n', spec: spec.task, desiredState: 'TASK_STATE_RUNNING' } as unknown as Task;
}

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
let containerId = '';
afterAll(async () => {
  if (containerId) await docker.getContainer(containerId).remove({ force: true });
});

describe('container keys from compose files', () => {
  it('maps each key onto the engine options', () => {
    const o = containerCreateOptions(task());
    expect(o.HostConfig).toMatchObject({
      Init: true,
      ReadonlyRootfs: true,
      CapAdd: ['NET_ADMIN'],
      CapDrop: ['MKNOD'],
      Sysctls: { 'net.ipv4.ip_unprivileged_port_start': '80' },
      Ulimits: [{ Name: 'nofile', Soft: 1234, Hard: 2345 }],
      ExtraHosts: ['db.local:10.1.2.3', 'db:10.1.2.3'],
      LogConfig: { Type: 'json-file', Config: { 'max-size': '1m' } },
      Dns: ['10.9.9.9'],
      DnsSearch: ['corp.example'],
      DnsOptions: ['ndots:3'],
      GroupAdd: ['4321'],
      OomScoreAdj: 500,
      PidsLimit: 64,
    });
    expect(o.StopSignal).toBe('SIGQUIT');
    expect(o.Healthcheck).toMatchObject({ Test: ['CMD', 'true'], StartPeriod: 30e9, StartInterval: 1e9 });
  });

  it('puts the overlay gateways before the DNS servers the service names', () => {
    const o = withNetworking(containerCreateOptions(task()), { HostConfig: { NetworkMode: 'flotilla-n1', Dns: ['10.0.9.1'] } });
    expect(o.HostConfig).toMatchObject({ NetworkMode: 'flotilla-n1', Dns: ['10.0.9.1', '10.9.9.9'], DnsSearch: ['corp.example'] });
    expect(withNetworking(containerCreateOptions(task()), undefined).HostConfig?.Dns).toEqual(['10.9.9.9']);
  });

  it('a real container has them', async () => {
    const c = await docker.createContainer(containerCreateOptions(task()));
    containerId = c.id;
    await c.start();
    const sh = async (cmd: string) => (await run('docker', ['exec', c.id, 'sh', '-c', cmd]).catch((e: { stdout?: string; stderr?: string }) => ({ stdout: `${e.stdout ?? ''}${e.stderr ?? ''}` }))).stdout.trim();
    expect(await sh("grep 'open files' /proc/1/limits")).toMatch(/Max open files\s+1234\s+2345\s/);
    expect(await sh('grep db.local /etc/hosts')).toMatch(/^10\.1\.2\.3\s+db\.local/);
    expect(await sh('cat /proc/sys/net/ipv4/ip_unprivileged_port_start')).toBe('80');
    expect(await sh('touch /x && echo wrote')).toMatch(/Read-only file system/);
    expect(await sh('cat /proc/1/comm')).not.toBe('sleep'); // init (docker-init) is PID 1
    const info = await c.inspect();
    expect((info.Config as { StopSignal?: string }).StopSignal).toBe('SIGQUIT');
    expect(info.HostConfig.CapAdd).toEqual(['NET_ADMIN']);
    const resolv = await sh('cat /etc/resolv.conf');
    expect(resolv).toMatch(/^nameserver 10\.9\.9\.9$/m);
    expect(resolv).toMatch(/^search corp\.example$/m);
    expect(resolv).toMatch(/^options ndots:3$/m);
    expect(await sh('grep Groups /proc/1/status')).toMatch(/\b4321\b/);
    expect(await sh('cat /proc/1/oom_score_adj')).toBe('500');
    expect(info.HostConfig.PidsLimit).toBe(64);
  });
});
