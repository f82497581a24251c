// The compose keys a stack file uses (issue 15) reach the engine as docker passes them, and a
// real container created with them shows each one (init, read-only root, capabilities, sysctls,
// ulimits, extra hosts, stop signal, log driver).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { validateServiceSpec, type Task } from '@flotilla/api';
import Docker from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { containerCreateOptions } from '../src/index.js';

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
      },
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
    });
    expect(o.StopSignal).toBe('SIGQUIT');
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
  });
});
