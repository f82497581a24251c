import type { Secret, Service, ServiceSpec } from '@flotilla/api';
import type { ReadTx } from '@flotilla/raft';
import { invalidArgument, notFound } from './control-error.js';

/** Like docker: a full id, then a name, then a unique id prefix. */
export function findSecret(view: ReadTx, ref: string): Secret {
  if (ref === '') throw invalidArgument('a secret name or ID is required');
  const exact = view.secrets.get(ref) ?? view.secrets.byName(ref);
  if (exact) return exact;
  const byPrefix = [...view.secrets.all()].filter((s) => s.id.startsWith(ref));
  if (byPrefix.length === 1) return byPrefix[0]!;
  if (byPrefix.length > 1) throw invalidArgument(`secret ${ref} is ambiguous (${byPrefix.length} matches)`);
  throw notFound(`secret not found: ${ref}`);
}

/** Services whose spec refers to the secret (by id, as resolved at create/update time). */
export function servicesUsingSecret(view: ReadTx, secretId: string): Service[] {
  return [...view.services.all()].filter((s) => (s.spec?.task?.container?.secrets ?? []).some((r) => r.secretId === secretId));
}

/**
 * The spec with every secret reference naming an existing secret by id and name: a service
 * may only refer to secrets that exist when it is created or updated (docker's "secret not found").
 */
export function resolveSecretReferences(view: ReadTx, spec: ServiceSpec): ServiceSpec {
  const refs = spec.task?.container?.secrets ?? [];
  if (refs.length === 0 || !spec.task?.container) return spec;
  const secrets = refs.map((ref) => {
    const secret = ref.secretId !== '' ? view.secrets.get(ref.secretId) : view.secrets.byName(ref.secretName);
    if (!secret) throw notFound(`secret not found: ${ref.secretName || ref.secretId}`);
    return { ...ref, secretId: secret.id, secretName: secret.spec?.annotations?.name ?? '' };
  });
  return { ...spec, task: { ...spec.task, container: { ...spec.task.container, secrets } } };
}

/** What the control API answers: the stored object without its sealed value (and never a plain one). */
export function secretView(secret: Secret): Secret {
  const { sealed: _sealed, ...rest } = secret;
  return { ...rest, spec: { annotations: secret.spec?.annotations ?? { name: '', labels: {} }, data: Buffer.alloc(0) } };
}
