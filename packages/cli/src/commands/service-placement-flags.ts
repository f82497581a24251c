// The flags of issue 18's domain half: job modes (--mode replicated-job|global-job,
// --max-concurrent) and placement (--placement-pref, --replicas-max-per-node), for create and
// update. Only syntax is checked here; the daemon validates the spec (@flotilla/api).
import { ServiceMode, type Placement, type PlacementPreference, type ServiceSpec } from '@flotilla/api';
import { CliError } from '../errors.js';

const usage = (message: string) => new CliError(message, 2);

export const MODES: Record<string, ServiceMode> = {
  replicated: ServiceMode.SERVICE_MODE_REPLICATED,
  global: ServiceMode.SERVICE_MODE_GLOBAL,
  'replicated-job': ServiceMode.SERVICE_MODE_REPLICATED_JOB,
  'global-job': ServiceMode.SERVICE_MODE_GLOBAL_JOB,
};

export interface PlacementFlags {
  maxConcurrent?: string;
  placementPref?: string[];
  replicasMaxPerNode?: string;
}

export interface PlacementUpdateFlags {
  maxConcurrent?: string;
  placementPrefAdd?: string[];
  placementPrefRm?: string[];
  replicasMaxPerNode?: string;
}

function count(flag: string, raw: string): number {
  if (!/^\d+$/.test(raw)) throw usage(`invalid argument "${raw}" for "${flag}" flag: expected a whole number`);
  return Number(raw);
}

/** `spread=node.labels.zone` → { spread: 'node.labels.zone' }; docker knows only the spread strategy. */
export function parsePlacementPref(flag: string, raw: string): PlacementPreference {
  const eq = raw.indexOf('=');
  if (eq < 0) throw usage(`invalid argument "${raw}" for "${flag}" flag: expected strategy=descriptor, e.g. spread=node.labels.zone`);
  const strategy = raw.slice(0, eq).trim().toLowerCase();
  if (strategy !== 'spread') throw usage(`invalid argument "${raw}" for "${flag}" flag: unsupported placement preference ${strategy} (only spread is supported)`);
  return { spread: raw.slice(eq + 1) };
}

/** The mode from --mode (default replicated); usage error for an unknown word. */
export function modeFromFlag(raw: string | undefined): ServiceMode {
  if (raw === undefined) return ServiceMode.SERVICE_MODE_REPLICATED;
  const mode = MODES[raw];
  if (mode === undefined) throw usage(`invalid argument "${raw}" for "--mode" flag: expected replicated, global, replicated-job or global-job`);
  return mode;
}

/** create: the spec parts these flags set. */
export function placementFromFlags(o: PlacementFlags, mode: ServiceMode): { maxConcurrent?: number; placement: Pick<Placement, 'preferences' | 'maxReplicas'> } {
  if (o.maxConcurrent !== undefined && mode !== ServiceMode.SERVICE_MODE_REPLICATED_JOB) {
    throw usage('--max-concurrent can only be used with replicated-job mode');
  }
  return {
    ...(o.maxConcurrent !== undefined ? { maxConcurrent: count('--max-concurrent', o.maxConcurrent) } : {}),
    placement: {
      preferences: (o.placementPref ?? []).map((raw) => parsePlacementPref('--placement-pref', raw)),
      maxReplicas: o.replicasMaxPerNode === undefined ? 0 : count('--replicas-max-per-node', o.replicasMaxPerNode),
    },
  };
}

/** update: applies --max-concurrent, --placement-pref-rm then --placement-pref-add (docker's order), --replicas-max-per-node. */
export function applyPlacementUpdate(spec: ServiceSpec, o: PlacementUpdateFlags): void {
  if (o.maxConcurrent !== undefined) {
    if (spec.mode !== ServiceMode.SERVICE_MODE_REPLICATED_JOB) throw usage('--max-concurrent can only be used with replicated-job mode');
    spec.maxConcurrent = count('--max-concurrent', o.maxConcurrent);
  }
  const add = (o.placementPrefAdd ?? []).map((raw) => parsePlacementPref('--placement-pref-add', raw));
  const rm = (o.placementPrefRm ?? []).map((raw) => parsePlacementPref('--placement-pref-rm', raw));
  if (add.length === 0 && rm.length === 0 && o.replicasMaxPerNode === undefined) return;
  const task = (spec.task ??= {} as NonNullable<ServiceSpec['task']>);
  const placement = (task.placement ??= { constraints: [], preferences: [], maxReplicas: 0 });
  placement.preferences = [...(placement.preferences ?? []).filter((p) => !rm.some((r) => r.spread === p.spread)), ...add];
  if (o.replicasMaxPerNode !== undefined) placement.maxReplicas = count('--replicas-max-per-node', o.replicasMaxPerNode);
}
