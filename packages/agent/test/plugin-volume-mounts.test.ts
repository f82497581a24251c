import { MountType, Task } from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import { containerCreateOptions, isPluginVolume } from '../src/index.js';

const mount = (source: string, target: string, volumeDriver = '', volumeOptions: Record<string, string> = {}) => ({ type: MountType.MOUNT_TYPE_VOLUME, source, target, readOnly: false, volumeDriver, volumeOptions });

describe('volumes in the container config', () => {
  const task = Task.fromPartial({
    id: 't1',
    serviceId: 's1',
    serviceName: 'db',
    slot: 1,
    nodeId: 'n1',
    spec: { container: { image: 'flotilla/busybox:latest', mounts: [mount('data', '/data', 'local-dir'), mount('cache', '/cache', 'local', { type: 'tmpfs', device: 'tmpfs' }), mount('plain', '/plain')] } },
  });

  it("leaves a plugin's volume to the executor (it becomes a bind once the driver mounted it) and passes engine volume options", () => {
    expect(task.spec!.container!.mounts.map(isPluginVolume)).toEqual([true, false, false]);
    expect(containerCreateOptions(task).HostConfig?.Mounts).toEqual([
      { Type: 'volume', Source: 'cache', Target: '/cache', ReadOnly: false, VolumeOptions: { DriverConfig: { Name: 'local', Options: { type: 'tmpfs', device: 'tmpfs' } } } },
      { Type: 'volume', Source: 'plain', Target: '/plain', ReadOnly: false },
    ]);
  });
});
