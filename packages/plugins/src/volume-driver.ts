// Volume drivers (docker.volumedriver/1.0): typed calls over the plugin protocol.
import { PluginCallError, type PluginClient } from './protocol-client.js';

export interface DriverVolume {
  name: string;
  mountpoint: string;
  status: Record<string, unknown>;
}

const text = (v: unknown): string => (typeof v === 'string' ? v : '');

function volumeOf(v: unknown): DriverVolume {
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  const status = o['Status'];
  return { name: text(o['Name']), mountpoint: text(o['Mountpoint']), status: typeof status === 'object' && status !== null ? (status as Record<string, unknown>) : {} };
}

export class VolumeDriverClient {
  constructor(readonly client: PluginClient) {}

  async create(name: string, opts: Record<string, string>): Promise<void> {
    await this.client.call('VolumeDriver.Create', { Name: name, Opts: opts });
  }

  async remove(name: string): Promise<void> {
    await this.client.call('VolumeDriver.Remove', { Name: name });
  }

  /** The path inside the plugin where the volume is now mounted for `id` (a task). */
  async mount(name: string, id: string): Promise<string> {
    const answer = await this.client.call('VolumeDriver.Mount', { Name: name, ID: id });
    const mountpoint = text(answer['Mountpoint']);
    if (mountpoint === '') throw new PluginCallError(this.client.name, 'VolumeDriver.Mount', 'garbage', `no Mountpoint for volume ${name}`);
    return mountpoint;
  }

  async unmount(name: string, id: string): Promise<void> {
    await this.client.call('VolumeDriver.Unmount', { Name: name, ID: id });
  }

  async path(name: string): Promise<string> {
    return text((await this.client.call('VolumeDriver.Path', { Name: name }))['Mountpoint']);
  }

  async get(name: string): Promise<DriverVolume> {
    return volumeOf((await this.client.call('VolumeDriver.Get', { Name: name }))['Volume']);
  }

  async list(): Promise<DriverVolume[]> {
    const volumes = (await this.client.call('VolumeDriver.List', {}))['Volumes'];
    return Array.isArray(volumes) ? volumes.map(volumeOf) : [];
  }

  /** "local" or "global"; a driver that does not answer Capabilities is local (Docker's default). */
  async scope(): Promise<string> {
    try {
      const caps = (await this.client.call('VolumeDriver.Capabilities', {}))['Capabilities'];
      const scope = text((caps as Record<string, unknown> | undefined)?.['Scope']);
      return scope === 'global' ? 'global' : 'local';
    } catch (err) {
      if (err instanceof PluginCallError && err.kind === 'status') return 'local';
      throw err;
    }
  }
}
