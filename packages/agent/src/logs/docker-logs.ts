import type { LogOptions } from '@flotilla/api';
import type Docker from 'dockerode';
import type { Readable } from 'node:stream';
import { LABEL_NODE_ID, LABEL_TASK_ID } from '../executor/labels.js';

export interface ContainerLog {
  containerId: string;
  stream: Readable;
  /** False for a TTY container, whose stdout and stderr arrive as one raw stream. */
  multiplexed: boolean;
}

/** The task has no container on this node (never created, or removed at shutdown). */
export class NoTaskContainer extends Error {
  constructor(readonly taskId: string) {
    super(`task ${taskId} has no container on this node (it was never started here or was removed at shutdown)`);
    this.name = 'NoTaskContainer';
  }
}

/**
 * Opens the engine's log stream of task `taskId`'s container. Always a stream, also without
 * follow (dockerode's `logs()` would buffer the whole answer), always with timestamps so the
 * reader can show them; `signal` aborts the HTTP request.
 */
export async function openContainerLog(docker: Docker, nodeId: string, taskId: string, options: LogOptions, signal: AbortSignal): Promise<ContainerLog> {
  const found = await docker.listContainers({ all: true, filters: { label: [`${LABEL_TASK_ID}=${taskId}`, `${LABEL_NODE_ID}=${nodeId}`] } });
  const containerId = found[0]?.Id;
  if (!containerId) throw new NoTaskContainer(taskId);
  const info = await docker.getContainer(containerId).inspect();
  const query: Record<string, string | number | boolean> = {
    follow: options.follow,
    stdout: true,
    stderr: true,
    timestamps: true,
    tail: options.tail < 0 ? 'all' : options.tail,
  };
  if (options.sinceUnixMs > 0) query['since'] = (options.sinceUnixMs / 1000).toFixed(3);
  const stream = await new Promise<Readable>((resolve, reject) => {
    docker.modem.dial(
      {
        path: `/containers/${containerId}/logs?`,
        method: 'GET',
        isStream: true,
        abortSignal: signal,
        statusCodes: { 200: true, 404: 'no such container', 500: 'server error' },
        options: query,
      },
      (err: unknown, data: unknown) => (err ? reject(err) : resolve(data as Readable)),
    );
  });
  return { containerId, stream, multiplexed: !info.Config.Tty };
}
