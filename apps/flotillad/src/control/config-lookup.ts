import type { Config, Service, ServiceSpec } from '@flotilla/api';
import type { ReadTx } from '@flotilla/raft';
import { invalidArgument, notFound } from './control-error.js';
import { resolveSecretReferences } from './secret-lookup.js';

/** Like docker: a full id, then a name, then a unique id prefix. */
export function findConfig(view: ReadTx, ref: string): Config {
  if (ref === '') throw invalidArgument('a config name or ID is required');
  const exact = view.configs.get(ref) ?? view.configs.byName(ref);
  if (exact) return exact;
  const byPrefix = [...view.configs.all()].filter((c) => c.id.startsWith(ref));
  if (byPrefix.length === 1) return byPrefix[0]!;
  if (byPrefix.length > 1) throw invalidArgument(`config ${ref} is ambiguous (${byPrefix.length} matches)`);
  throw notFound(`config not found: ${ref}`);
}

/** Services whose spec refers to the config (by id, as resolved at create/update time). */
export function servicesUsingConfig(view: ReadTx, configId: string): Service[] {
  return [...view.services.all()].filter((s) => (s.spec?.task?.container?.configs ?? []).some((r) => r.configId === configId));
}

/**
 * The spec with every secret and config reference naming an existing object by id and name: a
 * service may only refer to what exists when it is created or updated (docker's "config not found").
 */
export function resolveFileReferences(view: ReadTx, input: ServiceSpec): ServiceSpec {
  const spec = resolveSecretReferences(view, input);
  const refs = spec.task?.container?.configs ?? [];
  if (refs.length === 0 || !spec.task?.container) return spec;
  const configs = refs.map((ref) => {
    const config = ref.configId !== '' ? view.configs.get(ref.configId) : view.configs.byName(ref.configName);
    if (!config) throw notFound(`config not found: ${ref.configName || ref.configId}`);
    return { ...ref, configId: config.id, configName: config.spec?.annotations?.name ?? '' };
  });
  return { ...spec, task: { ...spec.task, container: { ...spec.task.container, configs } } };
}
