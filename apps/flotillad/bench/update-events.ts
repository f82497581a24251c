import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { ServiceSystem } from './orchestrator.js';

export interface UpdateCompletion {
  /** performance.now() when the system announced the update of the service completed. */
  readonly completed: Promise<number>;
  stop(): void;
}

/**
 * Follows `<cli> events --filter type=service` (docker and flotilla print the same JSON) and
 * resolves at the event saying the service's update completed: the same clock for both systems,
 * with no polling delay. Start it before issuing the update.
 */
export function watchUpdateCompleted(system: ServiceSystem, service: string, deadlineMs: number): UpdateCompletion {
  const [command, ...prefix] = system.cliArgv;
  const child = spawn(command, [...prefix, 'events', '--filter', 'type=service', '--format', '{{json .}}'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let buffered = '';
  let stderr = '';
  let timer: NodeJS.Timeout | undefined;
  const stop = () => {
    if (timer) clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  const completed = new Promise<number>((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no "update completed" event for ${service} within ${deadlineMs} ms`)), deadlineMs);
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('close', (code) => reject(new Error(`${system.name} events exited (${code}) before the update of ${service} completed: ${stderr.trim()}`)));
    child.stdout.on('data', (chunk: Buffer) => {
      const at = performance.now();
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (!line) continue;
        const e = JSON.parse(line) as { Action?: string; Actor?: { Attributes?: Record<string, string> } };
        const attrs = e.Actor?.Attributes ?? {};
        if (attrs['name'] !== service) continue;
        const state = attrs['updatestate.new'];
        if (state === 'completed') resolve(at);
        else if (state === 'paused' || state?.startsWith('rollback')) reject(new Error(`the update of ${service} ended ${state}`));
      }
    });
  });
  completed.then(stop, stop);
  return { completed, stop };
}
