// Authorization plugins (docker.authz/1.0): the AuthZReq / AuthZRes bodies built from a control
// API call, and the chain that asks every enabled plugin in turn and fails closed.
import { PluginCallError, type PluginClient } from './protocol-client.js';

export const LOCAL_SOCKET_USER = 'local socket';

/** Who made a control call: a certificate (node id, role) over 2377, or the local socket. */
export type Caller = { kind: 'local' } | { kind: 'tls'; commonName: string; organizationalUnit: string; organization: string };

export interface ControlCall {
  /** The gRPC method name, e.g. RemoveService. */
  method: string;
  caller: Caller;
  /** The decoded request message. */
  request: unknown;
}

/** Docker Engine API style method and URI for a control call, so plugins written for Docker match it. */
export function httpShapeOf(method: string, request: unknown): { method: string; uri: string } {
  const req = (typeof request === 'object' && request !== null ? request : {}) as Record<string, unknown>;
  const special = SPECIAL[method];
  if (special) return special(req);
  const m = /^(Create|Remove|Get|List|Update|Enable|Disable|Set|Upgrade|Install|Scale|Rollback|Rotate)([A-Z][A-Za-z]*)$/.exec(method);
  if (!m) return { method: 'POST', uri: `/${method}` };
  const verb = m[1] as string;
  const noun = (m[2] as string).replace(/s$/, '');
  const key = noun.charAt(0).toLowerCase() + noun.slice(1);
  const collection = `/${plural(key.toLowerCase())}`;
  const ref = typeof req[key] === 'string' ? encodeURIComponent(req[key] as string) : '';
  switch (verb) {
    case 'Create':
      return { method: 'POST', uri: `${collection}/create` };
    case 'Install':
      return { method: 'POST', uri: `${collection}/pull` };
    case 'List':
      return { method: 'GET', uri: collection };
    case 'Get':
      return { method: 'GET', uri: `${collection}/${ref}/json` };
    case 'Remove':
      return { method: 'DELETE', uri: `${collection}/${ref}` };
    case 'Scale':
    case 'Rollback':
      return { method: 'POST', uri: `${collection}/${ref}/update` };
    default:
      return { method: 'POST', uri: `${collection}/${ref}/${verb.toLowerCase()}` };
  }
}

const plural = (noun: string): string => (noun.endsWith('s') ? noun : `${noun}s`);

const SPECIAL: Record<string, (req: Record<string, unknown>) => { method: string; uri: string }> = {
  Version: () => ({ method: 'GET', uri: '/version' }),
  Info: () => ({ method: 'GET', uri: '/info' }),
  SwarmInit: () => ({ method: 'POST', uri: '/swarm/init' }),
  SwarmJoin: () => ({ method: 'POST', uri: '/swarm/join' }),
  SwarmLeave: () => ({ method: 'POST', uri: '/swarm/leave' }),
  JoinTokens: () => ({ method: 'GET', uri: '/swarm' }),
  UpdateCluster: () => ({ method: 'POST', uri: '/swarm/update' }),
  ListTasks: () => ({ method: 'GET', uri: '/tasks' }),
  ListNodeTasks: () => ({ method: 'GET', uri: '/tasks' }),
  ServiceLogs: (req) => ({ method: 'GET', uri: `/services/${encodeURIComponent(String(req['service'] ?? ''))}/logs` }),
  Events: () => ({ method: 'GET', uri: '/events' }),
  GetRootCa: () => ({ method: 'GET', uri: '/swarm' }),
  RotateRootCa: () => ({ method: 'POST', uri: '/swarm/update' }),
};

/** Byte fields larger than this are summarised, like Docker's 1 MB cap on bodies sent to plugins. */
const MAX_INLINE_BYTES = 64 * 1024;

/** The request as JSON: bytes as base64 (large ones summarised), bigints as strings. */
export function requestJson(request: unknown): string {
  return JSON.stringify(request ?? {}, (_key, value: unknown) => {
    if (typeof value === 'bigint') return value.toString();
    if (value instanceof Uint8Array) return value.length > MAX_INLINE_BYTES ? `<${value.length} bytes>` : Buffer.from(value).toString('base64');
    if (typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data)) {
      const data = (value as { data: number[] }).data;
      return data.length > MAX_INLINE_BYTES ? `<${data.length} bytes>` : Buffer.from(data).toString('base64');
    }
    return value;
  });
}

function userOf(caller: Caller): { User: string; UserAuthNMethod: string } {
  if (caller.kind === 'local') return { User: LOCAL_SOCKET_USER, UserAuthNMethod: LOCAL_SOCKET_USER };
  return { User: caller.commonName, UserAuthNMethod: 'TLS' };
}

/** The /AuthZPlugin.AuthZReq body (Docker's field names). */
export function authzRequestBody(call: ControlCall): Record<string, unknown> {
  const shape = httpShapeOf(call.method, call.request);
  return {
    ...userOf(call.caller),
    RequestMethod: shape.method,
    RequestUri: shape.uri,
    RequestBody: Buffer.from(requestJson(call.request)).toString('base64'),
    RequestHeaders: {
      'Content-Type': 'application/json',
      'Flotilla-Method': call.method,
      ...(call.caller.kind === 'tls' ? { 'Flotilla-Node-Role': call.caller.organizationalUnit, 'Flotilla-Cluster': call.caller.organization } : {}),
    },
  };
}

/** The /AuthZPlugin.AuthZRes body: the request plus the answer. */
export function authzResponseBody(call: ControlCall, status: number, response: unknown): Record<string, unknown> {
  return {
    ...authzRequestBody(call),
    ResponseStatusCode: status,
    ResponseBody: Buffer.from(requestJson(response)).toString('base64'),
    ResponseHeaders: { 'Content-Type': 'application/json' },
  };
}

export type AuthzDecision = { allow: true } | { allow: false; plugin: string; message: string };

/** An enabled authz plugin as the gate sees it: a client, or why it cannot be asked. */
export interface AuthzPluginHandle {
  readonly name: string;
  readonly client: PluginClient | undefined;
  /** Why there is no client (not started yet, failed to start). */
  readonly unavailable?: string;
}

/** Asks one plugin; anything but a well-formed answer is a denial naming the plugin. */
async function ask(handle: AuthzPluginHandle, endpoint: string, body: Record<string, unknown>): Promise<AuthzDecision> {
  if (!handle.client) return { allow: false, plugin: handle.name, message: `authorization plugin ${handle.name} is not running${handle.unavailable ? `: ${handle.unavailable}` : ''}` };
  let answer: Record<string, unknown>;
  try {
    answer = await handle.client.call(endpoint, body);
  } catch (err) {
    const detail = err instanceof PluginCallError ? err.message : String(err);
    return { allow: false, plugin: handle.name, message: `authorization plugin ${handle.name} failed, so the call is denied: ${detail}` };
  }
  const allow = answer['Allow'];
  if (typeof allow !== 'boolean') {
    return { allow: false, plugin: handle.name, message: `authorization plugin ${handle.name} failed, so the call is denied: its ${endpoint} answer has no Allow` };
  }
  if (allow) return { allow: true };
  const msg = typeof answer['Msg'] === 'string' ? (answer['Msg'] as string) : '';
  return { allow: false, plugin: handle.name, message: `authorization denied by plugin ${handle.name}: ${msg || 'no reason given'}` };
}

/** Every plugin must allow, in order; the first denial ends the chain (Docker's semantics). */
export async function authorizeRequest(plugins: readonly AuthzPluginHandle[], call: ControlCall): Promise<AuthzDecision> {
  if (plugins.length === 0) return { allow: true };
  const body = authzRequestBody(call);
  for (const p of plugins) {
    const decision = await ask(p, 'AuthZPlugin.AuthZReq', body);
    if (!decision.allow) return decision;
  }
  return { allow: true };
}

export async function authorizeResponse(plugins: readonly AuthzPluginHandle[], call: ControlCall, status: number, response: unknown): Promise<AuthzDecision> {
  if (plugins.length === 0) return { allow: true };
  const body = authzResponseBody(call, status, response);
  for (const p of plugins) {
    const decision = await ask(p, 'AuthZPlugin.AuthZRes', body);
    if (!decision.allow) return decision;
  }
  return { allow: true };
}
