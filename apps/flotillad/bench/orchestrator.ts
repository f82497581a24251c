import type { LabelSelector } from './engine-watch.js';

export interface CreateOptions {
  readonly replicas: number;
  /** Seconds; undefined keeps the system's default (10 s for both). */
  readonly stopGraceSeconds?: number;
}

/** What the scenarios need from a system that runs replicated services. */
export interface Orchestrator {
  readonly name: string;
  /** The label every container of `service` carries. */
  serviceLabel(service: string): LabelSelector;
  /** Issues the create and returns once the command has (detached); convergence is watched apart. */
  create(service: string, options: CreateOptions): Promise<void>;
  remove(service: string): Promise<void>;
}

/** An orchestrator driven through its own CLI (Flotilla, Docker's swarm mode), for scenarios beyond create/remove. */
export interface ServiceSystem extends Orchestrator {
  /** The image as this system must be given it (swarm: by ID, or it asks a registry). */
  readonly image: string;
  /** The command line of this system's CLI (`docker`, or node with the flotilla CLI and its -H). */
  readonly cliArgv: readonly [string, ...string[]];
}

/** The command every replica runs: `sleep` as PID 1 ignores SIGTERM, so stops take the full grace. */
export const REPLICA_COMMAND = ['sleep', '3600'] as const;
export const IMAGE = 'flotilla/busybox:latest';
