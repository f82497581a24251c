// Volumes from volume driver plugins (issue 17): before a task's container is created the
// driver creates and mounts each volume and the returned host path is bind-mounted; when the
// container goes, each is unmounted. The plugin itself is reached through VolumeDriverAccess,
// which the daemon provides (it runs the plugin containers).
import { MountType, type Mount, type Task } from '@flotilla/api';
import type Docker from 'dockerode';
import { errMessage } from '../error-message.js';

export interface VolumeDriverAccess {
  /** Creates (if needed) and mounts the volume for `taskId`; returns its path on this host. */
  mount(driver: string, volume: string, options: Readonly<Record<string, string>>, taskId: string): Promise<string>;
  unmount(driver: string, volume: string, taskId: string): Promise<void>;
}

/** A mount served by a plugin: a named volume with a driver other than the engine's own. */
export function isPluginVolume(m: Mount): boolean {
  return m.type === MountType.MOUNT_TYPE_VOLUME && m.volumeDriver !== '' && m.volumeDriver !== 'local';
}

interface Mounted {
  driver: string;
  volume: string;
}

export class TaskPluginVolumes {
  private readonly mounted = new Map<string, Mounted[]>();

  constructor(
    private readonly access: VolumeDriverAccess,
    private readonly log: { warn(obj: object, msg: string): void },
  ) {}

  /**
   * Mounts the task's plugin volumes and returns the bind mounts for its container ([] when it
   * has none). On a refusal the volumes mounted so far are unmounted again and the error says
   * which volume and driver refused, in the plugin's words.
   */
  async prepare(task: Task): Promise<Docker.MountSettings[]> {
    const mounts = (task.spec?.container?.mounts ?? []).filter(isPluginVolume);
    if (mounts.length === 0) return [];
    const done: Mounted[] = [];
    const binds: Docker.MountSettings[] = [];
    try {
      for (const m of mounts) {
        let hostPath: string;
        try {
          hostPath = await this.access.mount(m.volumeDriver, m.source, m.volumeOptions, task.id);
        } catch (err) {
          throw new Error(`volume ${m.source} (driver ${m.volumeDriver}): ${errMessage(err)}`);
        }
        done.push({ driver: m.volumeDriver, volume: m.source });
        binds.push({ Type: 'bind', Source: hostPath, Target: m.target, ReadOnly: m.readOnly } as Docker.MountSettings);
      }
    } catch (err) {
      await this.unmountAll(task.id, done);
      throw err;
    }
    this.mounted.set(task.id, done);
    return binds;
  }

  /** Unmounts what prepare mounted for the task; nothing to do when it had none. */
  async release(taskId: string): Promise<void> {
    const done = this.mounted.get(taskId);
    if (!done) return;
    this.mounted.delete(taskId);
    await this.unmountAll(taskId, done);
  }

  private async unmountAll(taskId: string, done: readonly Mounted[]): Promise<void> {
    for (const m of done) {
      // The container is gone either way; a driver that cannot unmount is told again never.
      await this.access.unmount(m.driver, m.volume, taskId).catch((err: unknown) => this.log.warn({ taskId, err: errMessage(err), driver: m.driver, volume: m.volume }, 'volume driver could not unmount'));
    }
  }
}
