import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { NodeNetworkState } from '@flotilla/api';
import { waitFor, type TestHost } from '@flotilla/testkit';

const CHILD = fileURLToPath(new URL('./controller-child.ts', import.meta.url));

/** A NodeLbController in a child process inside `host`'s namespace; apply/close wait for its answer. */
export interface ControllerInHost {
  child: ChildProcess;
  apply(state: NodeNetworkState): Promise<void>;
  close(): Promise<void>;
}

export async function startControllerIn(
  host: TestHost,
  nodeId: string,
  tag: string,
  opts: { kind?: 'iptables' | 'userspace'; upstream?: { host: string; port: number } } = {},
): Promise<ControllerInHost> {
  const args = [nodeId, host.addr, tag, opts.kind ?? 'iptables', ...(opts.upstream ? [opts.upstream.host, String(opts.upstream.port)] : [])];
  const child = host.spawn([process.execPath, '--import', 'tsx', CHILD, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let stderr = '';
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    lines.push(...parts);
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const next = async (what: string): Promise<Record<string, unknown>> => {
    const line = await waitFor(
      () => {
        if (child.exitCode !== null && lines.length === 0) throw new Error(`controller in ${host.name} exited: ${stderr}`);
        return lines.shift();
      },
      { what, timeoutMs: 60_000 },
    );
    return JSON.parse(line) as Record<string, unknown>;
  };
  await next(`the controller in ${host.name} to start`);
  const send = async (o: unknown, what: string) => {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`controller in ${host.name} has exited: ${stderr}`);
    child.stdin!.write(`${JSON.stringify(o)}\n`);
    const r = await next(what);
    if (r.error) throw new Error(String(r.error));
  };
  return {
    child,
    apply: (state) => send({ op: 'apply', state: NodeNetworkState.toJSON(state) }, `state ${state.sequence} applied in ${host.name}`),
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) await send({ op: 'close' }, `the controller in ${host.name} to close`);
    },
  };
}
