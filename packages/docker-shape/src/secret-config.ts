// swarm.Secret and swarm.Config of the Docker Engine API: what `secret inspect` and `config
// inspect` print. A secret's value is never there (the daemon never sends one back).
import type { Config, Secret } from '@flotilla/api';
import { goMap, objectHeader, opt } from './go-values.js';
import type { Json } from './service.js';

export function dockerSecret(s: Secret): Json {
  return {
    ...objectHeader(s.id, s.meta),
    Spec: { ...opt('Name', s.spec?.annotations?.name ?? ''), Labels: goMap(s.spec?.annotations?.labels) },
  };
}

/** Data is the config's bytes (base64 in JSON, as Go encodes []byte). */
export function dockerConfig(c: Config): Json {
  return {
    ...objectHeader(c.id, c.meta),
    Spec: {
      ...opt('Name', c.spec?.annotations?.name ?? ''),
      Labels: goMap(c.spec?.annotations?.labels),
      ...(c.spec?.data && c.spec.data.length > 0 ? { Data: new Uint8Array(c.spec.data) } : {}),
    },
  };
}
