// The row contexts of docker's object lists (network, secret, config, stack and plugin
// formatters): fields for `--format`, their headers and docker's default tables.
import type { Config, NetworkView, Plugin, Secret } from '@flotilla/api';
import type { ListContext } from './list-format.js';
import { humanDuration } from './human-duration.js';
import { labelMethod, labelsColumn } from './swarm-list-contexts.js';

const ago = (ms: number, now: number): string => (ms > 0 ? `${humanDuration(Math.max(0, now - ms))} ago` : '');

/** Go's time.Time.String() for a UTC time: `2026-12-08 03:40:01.123 +0000 UTC`. */
export function goTimeString(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2026-12-08T03:40:01.123Z
  const [date, rest] = iso.split('T') as [string, string];
  const clock = rest.slice(0, -1).replace(/\.?0+$/, '');
  return `${date} ${clock} +0000 UTC`;
}

export const NETWORK_LIST: ListContext<NetworkView> = {
  typeName: '*formatter.networkContext',
  defaultTable: 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}',
  headers: { ID: 'NETWORK ID', Name: 'NAME', Driver: 'DRIVER', Scope: 'SCOPE', IPv6: 'IPV6', Internal: 'INTERNAL', Labels: 'LABELS', CreatedAt: 'CREATED AT' },
  fields: (v) => {
    const labels = v.network?.spec?.annotations?.labels ?? {};
    return {
      ID: (v.network?.id ?? '').slice(0, 12),
      Name: v.network?.spec?.annotations?.name ?? '',
      Driver: v.network?.spec?.driver || 'overlay',
      Scope: 'swarm',
      IPv6: 'false',
      Internal: String(Boolean(v.network?.spec?.internal)),
      Labels: labelsColumn(labels),
      CreatedAt: goTimeString(v.network?.meta?.createdAt ?? 0),
      Label: labelMethod(labels),
    };
  },
};

/** A secret or config row; `now` makes the CREATED/UPDATED ages. */
export interface StoredRow<T> {
  item: T;
  now: number;
}

export const SECRET_LIST: ListContext<StoredRow<Secret>> = {
  typeName: '*formatter.secretContext',
  defaultTable: 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.CreatedAt}}\t{{.UpdatedAt}}',
  headers: { ID: 'ID', Name: 'NAME', Driver: 'DRIVER', CreatedAt: 'CREATED', UpdatedAt: 'UPDATED', Labels: 'LABELS' },
  fields: ({ item: s, now }) => ({
    ID: s.id,
    Name: s.spec?.annotations?.name ?? '',
    // Flotilla keeps every secret in its own store; docker leaves DRIVER empty for those too.
    Driver: '',
    CreatedAt: ago(s.meta?.createdAt ?? 0, now),
    UpdatedAt: ago(s.meta?.updatedAt ?? 0, now),
    Labels: labelsColumn(s.spec?.annotations?.labels ?? {}),
    Label: labelMethod(s.spec?.annotations?.labels ?? {}),
  }),
};

export const CONFIG_LIST: ListContext<StoredRow<Config>> = {
  typeName: '*formatter.configContext',
  defaultTable: 'table {{.ID}}\t{{.Name}}\t{{.CreatedAt}}\t{{.UpdatedAt}}',
  headers: { ID: 'ID', Name: 'NAME', CreatedAt: 'CREATED', UpdatedAt: 'UPDATED', Labels: 'LABELS' },
  fields: ({ item: c, now }) => ({
    ID: c.id,
    Name: c.spec?.annotations?.name ?? '',
    CreatedAt: ago(c.meta?.createdAt ?? 0, now),
    UpdatedAt: ago(c.meta?.updatedAt ?? 0, now),
    Labels: labelsColumn(c.spec?.annotations?.labels ?? {}),
    Label: labelMethod(c.spec?.annotations?.labels ?? {}),
  }),
};

export interface StackRow {
  name: string;
  services: number;
}

export const STACK_LIST: ListContext<StackRow> = {
  typeName: '*formatter.stackContext',
  defaultTable: 'table {{.Name}}\t{{.Services}}',
  quietTemplate: '{{.Name}}',
  headers: { Name: 'NAME', Services: 'SERVICES' },
  fields: (r) => ({ Name: r.name, Services: String(r.services) }),
};

export interface PluginRow {
  plugin: Plugin;
  description: string;
  noTrunc: boolean;
}

export const PLUGIN_LIST: ListContext<PluginRow> = {
  typeName: '*formatter.pluginContext',
  defaultTable: 'table {{.ID}}\t{{.Name}}\t{{.Description}}\t{{.Enabled}}',
  headers: { ID: 'ID', Name: 'NAME', Description: 'DESCRIPTION', Enabled: 'ENABLED', PluginReference: 'PLUGIN REFERENCE' },
  fields: ({ plugin: p, description, noTrunc }) => ({
    ID: noTrunc ? p.id : p.id.slice(0, 12),
    Name: p.spec?.name ?? '',
    Description: noTrunc ? description : description.slice(0, 45),
    Enabled: Boolean(p.spec?.enabled),
    PluginReference: p.spec?.image || p.spec?.source || '',
  }),
};
