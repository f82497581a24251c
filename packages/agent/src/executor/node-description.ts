import { hostname } from 'node:os';
import type { NodeDescription } from '@flotilla/api';
import type Docker from 'dockerode';

interface EngineInfo {
  Name?: string;
  OSType?: string;
  Architecture?: string;
  NCPU?: number;
  MemTotal?: number;
  ServerVersion?: string;
  Labels?: string[];
}

/** Pure: `docker info` → what the node tells the dispatcher about itself. */
export function nodeDescriptionFromInfo(info: EngineInfo, fallbackHostname: string): NodeDescription {
  const labels: Record<string, string> = {};
  for (const l of info.Labels ?? []) {
    const i = l.indexOf('=');
    if (i > 0) labels[l.slice(0, i)] = l.slice(i + 1);
  }
  return {
    hostname: info.Name || fallbackHostname,
    platform: { os: info.OSType ?? '', architecture: info.Architecture ?? '' },
    resources: { nanoCpus: (info.NCPU ?? 0) * 1e9, memoryBytes: info.MemTotal ?? 0, pids: 0 },
    engine: { engineVersion: info.ServerVersion ?? '', labels, plugins: [] },
  };
}

export async function describeNode(docker: Docker): Promise<NodeDescription> {
  return nodeDescriptionFromInfo((await docker.info()) as EngineInfo, hostname());
}
