import { formatRatio, formatSeconds, median, ratio, renderTable } from './stats.js';

export const SYSTEMS = ['Flotilla', 'swarm', 'floor'] as const;
export type SystemName = (typeof SYSTEMS)[number];

export interface ScenarioResult {
  readonly id: string;
  readonly title: string;
  readonly samples: Partial<Record<SystemName, number[]>>;
  /** Why a system has no figure for this scenario (not started, failed, not applicable). */
  readonly missing: Partial<Record<SystemName, string>>;
}

function figure(result: ScenarioResult, system: SystemName): number | undefined {
  return result.missing[system] === undefined ? median(result.samples[system] ?? []) : undefined;
}

function machineRatio(r: number | undefined): string {
  return r === undefined ? 'n/a' : r.toFixed(2);
}

/** The table, the reasons for every n/a, and the closing `converge:` line (always last). */
export function renderReport(results: readonly ScenarioResult[]): string {
  const rows = results.map((r) => {
    const flotilla = figure(r, 'Flotilla');
    const counts = SYSTEMS.map((s) => (r.samples[s] ?? []).length).filter((n) => n > 0);
    return [
      r.title,
      formatSeconds(flotilla),
      formatSeconds(figure(r, 'swarm')),
      formatSeconds(figure(r, 'floor')),
      formatRatio(ratio(flotilla, figure(r, 'swarm'))),
      formatRatio(ratio(flotilla, figure(r, 'floor'))),
      counts.length ? String(Math.min(...counts)) : '0',
    ];
  });
  const table = renderTable(['scenario (median)', 'Flotilla', 'swarm', 'floor', 'Flotilla/swarm', 'Flotilla/floor', 'runs'], rows);
  const notes = results.flatMap((r) => SYSTEMS.flatMap((s) => (r.missing[s] ? [`  ${r.title}, ${s}: n/a (${r.missing[s]})`] : [])));
  const byId = new Map(results.map((r) => [r.id, r]));
  const vs = (id: string, baseline: SystemName) => {
    const r = byId.get(id);
    return machineRatio(r ? ratio(figure(r, 'Flotilla'), figure(r, baseline)) : undefined);
  };
  const last = `converge: n10_vs_swarm=${vs('create-10', 'swarm')} n100_vs_floor=${vs('create-100', 'floor')} rm100_vs_swarm=${vs('rm-100', 'swarm')}`;
  return [table, ...(notes.length ? ['', 'n/a:', ...notes] : []), '', last].join('\n');
}
