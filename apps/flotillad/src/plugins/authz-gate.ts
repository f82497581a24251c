// The one place where authorization plugins see control calls: every handler of the control
// API is wrapped, so a new rpc is covered without touching it. Before the handler runs, each
// enabled authz plugin sees AuthZReq and may deny; after it answers, AuthZRes. Streams (logs,
// events) are checked on the request only, as Docker does for chunked responses.
import { ControlService, type ControlServer } from '@flotilla/api';
import { authorizeRequest, authorizeResponse, isAuthzPlugin, parsePluginConfig, type AuthzPluginHandle, type Caller } from '@flotilla/plugins';
import { status as GrpcStatus, type ServerUnaryCall, type ServerWritableStream, type sendUnaryData } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { SwarmController } from '../swarm/swarm-controller.js';
import { lookupPlugin } from './plugin-lookup.js';

export type ControlTransport = 'local' | 'tls';

type Field = string | string[] | undefined;
interface PeerSubject {
  CN?: Field;
  OU?: Field;
  O?: Field;
}
const one = (f: Field): string => (Array.isArray(f) ? (f[0] ?? '') : (f ?? ''));

function callerOf(transport: ControlTransport, call: { getAuthContext(): { sslPeerCertificate?: { subject?: PeerSubject } } | null }): Caller {
  if (transport === 'local') return { kind: 'local' };
  const subject = call.getAuthContext()?.sslPeerCertificate?.subject ?? {};
  return { kind: 'tls', commonName: one(subject.CN), organizationalUnit: one(subject.OU), organization: one(subject.O) };
}

/**
 * `plugin disable` of an authorization plugin from the local socket never asks the plugins:
 * an operator on the machine can always switch off a plugin that denies everything.
 */
function isLockOutEscape(swarm: SwarmController, method: string, caller: Caller, request: unknown): boolean {
  if (method !== 'DisablePlugin' || caller.kind !== 'local') return false;
  const rt = swarm.manager;
  const ref = (request as { plugin?: unknown } | undefined)?.plugin;
  if (!rt || typeof ref !== 'string') return false;
  const plugin = lookupPlugin(rt.member.store.view(), ref);
  if (!plugin) return false;
  try {
    return isAuthzPlugin(parsePluginConfig(plugin.spec?.configJson ?? ''));
  } catch {
    return false;
  }
}

const denied = (message: string) => ({ code: GrpcStatus.PERMISSION_DENIED, details: message });

/**
 * Runs one gate decision; if asking the plugins throws (the plugin table could not be read, a
 * handle broke), the call is denied rather than left without an answer: the gate fails closed.
 */
function failClosed(log: Logger, method: string, deny: (message: string) => void, decide: () => Promise<void>): void {
  decide().catch((err: unknown) => {
    const message = `authorization could not be checked, so the call is denied: ${err instanceof Error ? err.message : String(err)}`;
    log.error({ rpc: method, err }, message);
    deny(message);
  });
}

export function gatedControl(control: ControlServer, transport: ControlTransport, swarm: SwarmController, log: Logger): ControlServer {
  const handles = async (): Promise<AuthzPluginHandle[]> => (swarm.manager ? swarm.manager.plugins.authzHandles() : []);
  const gated: Record<string, unknown> = {};
  for (const [key, definition] of Object.entries(ControlService)) {
    const handler = (control as unknown as Record<string, (...args: unknown[]) => void>)[key];
    if (!handler) continue;
    const method = definition.path.slice(definition.path.lastIndexOf('/') + 1);
    if (definition.responseStream) {
      gated[key] = (call: ServerWritableStream<unknown, unknown>) => {
        const caller = callerOf(transport, call);
        failClosed(log, method, (message) => call.emit('error', denied(message)), async () => {
          const decision = await authorizeRequest(await handles(), { method, caller, request: call.request });
          if (!decision.allow) {
            log.warn({ rpc: method, caller, plugin: decision.plugin }, decision.message);
            call.emit('error', denied(decision.message));
            return;
          }
          handler(call);
        });
      };
      continue;
    }
    gated[key] = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      const caller = callerOf(transport, call);
      failClosed(log, method, (message) => callback(denied(message)), async () => {
        if (isLockOutEscape(swarm, method, caller, call.request)) {
          log.warn({ rpc: method, caller }, 'authorization plugin disabled from the local socket without asking the plugins');
          handler(call, callback);
          return;
        }
        const chain = await handles();
        const decision = await authorizeRequest(chain, { method, caller, request: call.request });
        if (!decision.allow) {
          log.warn({ rpc: method, caller, plugin: decision.plugin }, decision.message);
          callback(denied(decision.message));
          return;
        }
        handler(call, (err: unknown, response: unknown) => {
          if (err || chain.length === 0) {
            callback(err as never, response);
            return;
          }
          void authorizeResponse(chain, { method, caller, request: call.request }, 200, response).then((after) => {
            if (after.allow) callback(null, response);
            else {
              log.warn({ rpc: method, caller, plugin: after.plugin }, after.message);
              callback(denied(after.message));
            }
          });
        });
      });
    };
  }
  return gated as unknown as ControlServer;
}
