// The chaos run's clients: each issues service create / update / scale / rm and reads
// (inspect, ls) one at a time against a manager picked at random, and records every operation
// with its invoke and return times (one monotonic clock) and outcome. Values are unique per write,
// so a read tells which write it saw.
import { ServiceMode, ServiceSpec, type ListServicesResponse, type Service, type ServiceView } from '@flotilla/api';
import { SeededRng } from '@flotilla/raft';
import type { Operation } from '@flotilla/testkit';
import { control, failedWrite, GrpcStatus, type CallResult } from './control-calls.js';
import type { ServiceInput, ServiceOutput, ServiceState } from './services-model.js';

export const CHAOS_LABEL = 'chaos';
export const IMAGE = 'flotilla/busybox:latest';
/** Stop grace of the services' tasks (busybox sleep as PID 1 ignores SIGTERM, so this is how long a stop takes). */
export const STOP_GRACE_MS = 2_000;

export type ChaosOp = Operation<ServiceInput, ServiceOutput> & {
  readonly client: number;
  /** The manager the request went to. */
  readonly via: string;
  /** How a refusal or an unknown ended (gRPC status and message). */
  readonly error?: string;
  /** Service ids seen: a create's answer, or a read's. */
  readonly ids?: readonly string[];
};

export interface Target {
  readonly name: string;
  readonly socket: string;
}

export interface WorkloadOptions {
  readonly seed: number;
  readonly clients: number;
  readonly names: readonly string[];
  readonly managers: () => readonly Target[];
  /** The run's clock, in ms. */
  readonly now: () => number;
}

export function serviceSpec(name: string, value: string, replicas: number): ServiceSpec {
  return ServiceSpec.fromPartial({
    annotations: { name, labels: { [CHAOS_LABEL]: value } },
    mode: ServiceMode.SERVICE_MODE_REPLICATED,
    replicas,
    task: { container: { image: IMAGE, args: ['sleep', '3600'], stopGracePeriodMs: STOP_GRACE_MS, hasStopGracePeriod: true } },
  });
}

export function stateOf(service: Service | undefined): ServiceState {
  if (!service) return { exists: false };
  return { exists: true, value: service.spec?.annotations?.labels?.[CHAOS_LABEL] ?? '', replicas: Number(service.spec?.replicas ?? 0) };
}

type Ended = { outcome: 'ok'; output: ServiceOutput; ids?: string[] } | { outcome: 'fail' | 'unknown'; error: string };

const errorText = (r: { code: GrpcStatus; details: string }): string => `${GrpcStatus[r.code] ?? r.code}: ${r.details}`;

/** A write's end from its call result: an answer, a refusal (known not applied), or unknown. */
function writeEnd(r: CallResult<unknown>, answers: Partial<Record<GrpcStatus, ServiceOutput>>): Ended {
  if (r.ok) return { outcome: 'ok', output: 'ok' };
  const answer = answers[r.code];
  if (answer !== undefined) return { outcome: 'ok', output: answer };
  return { outcome: failedWrite(r) === 'refused' ? 'fail' : 'unknown', error: errorText(r) };
}

/** A read that got no answer changes nothing and tells nothing: left out (fail). */
function readEnd(r: CallResult<ServiceView>): Ended {
  if (r.ok) return { outcome: 'ok', output: stateOf(r.res.service), ids: [r.res.service?.id ?? ''] };
  if (r.code === GrpcStatus.NOT_FOUND) return { outcome: 'ok', output: { exists: false } };
  return { outcome: 'fail', error: errorText(r) };
}

const UPDATE_ATTEMPTS = 3;
const BACKOFF_MS = 1_000;

/** `service update --label-add chaos=VALUE`, as the CLI does it: read the spec, write it back changed with the version read. */
async function update(socket: string, name: string, value: string): Promise<Ended> {
  let last: Ended = { outcome: 'fail', error: 'no attempt' };
  for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
    const got = await control<ServiceView>(socket, 'getService', { service: name });
    if (!got.ok) return got.code === GrpcStatus.NOT_FOUND ? { outcome: 'ok', output: 'missing' } : { outcome: 'fail', error: `reading before update: ${errorText(got)}` };
    const current = got.res.service!;
    const spec = ServiceSpec.fromPartial({ ...current.spec, annotations: { ...current.spec?.annotations, labels: { ...current.spec?.annotations?.labels, [CHAOS_LABEL]: value } } });
    const r = await control<ServiceView>(socket, 'updateService', { service: current.id, spec, version: current.meta?.version ?? 0 });
    last = writeEnd(r, { [GrpcStatus.NOT_FOUND]: 'missing' });
    // Out of sequence (another write got in between): known not applied, so try again like a user would.
    if (!(last.outcome === 'fail' && !r.ok && r.code === GrpcStatus.FAILED_PRECONDITION && /out of sequence/.test(r.details))) return last;
  }
  return last;
}

export class Workload {
  readonly history: ChaosOp[] = [];
  private stopping = false;
  private readonly loops: Promise<void>[] = [];
  private seq = 0;

  constructor(private readonly o: WorkloadOptions) {}

  start(): void {
    for (let c = 0; c < this.o.clients; c++) this.loops.push(this.loop(c, new SeededRng(this.o.seed * 1_000_003 + c * 7_919 + 1)));
  }

  /** Lets each client finish the operation it is in (bounded by the call deadlines), then stops. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
  }

  private async loop(client: number, rng: SeededRng): Promise<void> {
    while (!this.stopping) {
      const managers = this.o.managers();
      const target = managers[rng.intn(managers.length)]!;
      const name = this.o.names[rng.intn(this.o.names.length)]!;
      const roll = rng.intn(100);
      const value = `c${client}-${++this.seq}`;
      const replicas = rng.intn(3);
      const think = 20 + rng.intn(200);
      const before = this.history.length;
      if (roll < 20) await this.write(client, target, { name, kind: 'create', value, replicas }, (s) => control<ServiceView>(s, 'createService', { spec: serviceSpec(name, value, replicas) }).then((r) => this.created(r)));
      else if (roll < 38) await this.write(client, target, { name, kind: 'update', value }, (s) => update(s, name, value));
      else if (roll < 53) await this.write(client, target, { name, kind: 'scale', replicas }, (s) => control(s, 'scaleService', { service: name, replicas }).then((r) => writeEnd(r, { [GrpcStatus.NOT_FOUND]: 'missing' })));
      else if (roll < 63) await this.write(client, target, { name, kind: 'rm' }, (s) => control(s, 'removeService', { service: name }).then((r) => writeEnd(r, { [GrpcStatus.NOT_FOUND]: 'missing' })));
      else if (roll < 85) await this.write(client, target, { name, kind: 'read' }, (s) => control<ServiceView>(s, 'getService', { service: name }).then(readEnd));
      else await this.list(client, target);
      // After an error a user waits a moment before the next command: it also keeps the number
      // of writes with an unknown fate (each one widens the checker's search) in proportion.
      const troubled = this.history.slice(before).some((op) => op.outcome !== 'ok');
      await new Promise((resolve) => setTimeout(resolve, troubled ? BACKOFF_MS + think : think));
    }
  }

  private created(r: CallResult<ServiceView>): Ended {
    const end = writeEnd(r, { [GrpcStatus.ALREADY_EXISTS]: 'exists' });
    return r.ok && end.outcome === 'ok' ? { ...end, ids: [r.res.service?.id ?? ''] } : end;
  }

  private async write(client: number, target: Target, input: ServiceInput, run: (socket: string) => Promise<Ended>): Promise<void> {
    const call = this.o.now();
    const end = await run(target.socket).catch((err: unknown): Ended => ({ outcome: 'unknown', error: `client error: ${String(err)}` }));
    this.record(client, target, input, call, end);
  }

  /** `service ls`: one read per name of the run, all with the list's call and return times. */
  private async list(client: number, target: Target): Promise<void> {
    const call = this.o.now();
    const r = await control<ListServicesResponse>(target.socket, 'listServices', {});
    for (const name of this.o.names) {
      if (!r.ok) {
        this.record(client, target, { name, kind: 'read' }, call, { outcome: 'fail', error: `ls: ${errorText(r)}` });
        continue;
      }
      const found = r.res.services.filter((v) => v.service?.spec?.annotations?.name === name);
      this.record(client, target, { name, kind: 'read' }, call, { outcome: 'ok', output: stateOf(found[0]?.service), ids: found.map((v) => v.service!.id) });
    }
  }

  private record(client: number, target: Target, input: ServiceInput, call: number, end: Ended): void {
    const ret = this.o.now();
    this.history.push(
      end.outcome === 'ok'
        ? { client, via: target.name, input, output: end.output, call, ret, outcome: 'ok', ...(end.ids ? { ids: end.ids } : {}) }
        : { client, via: target.name, input, call, outcome: end.outcome, error: end.error },
    );
  }
}

