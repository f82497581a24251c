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

/** The command every replica runs: `sleep` as PID 1 ignores SIGTERM, so stops take the full grace. */
export const REPLICA_COMMAND = ['sleep', '3600'] as const;
export const IMAGE = 'flotilla/busybox:latest';
