// Fault injection for tests (issue 16): FLOTILLA_FAULT_DELAY_WRITES_MS=N holds every write a
// manager service proposes for N ms after the service decided it (and its lease fence was
// stamped) and before it is sent — a GC pause or a slow link at the worst moment. With the process
// also SIGSTOPped past its lease, the write arrives after another instance took over, which is
// what the fence must refuse. Never set outside tests; a malformed value refuses to start.
import type { StoreAccess } from '@flotilla/raft';
import type { Logger } from 'pino';

export const FAULT_DELAY_ENV = 'FLOTILLA_FAULT_DELAY_WRITES_MS';

export function faultDelayFromEnv(env: NodeJS.ProcessEnv, log: Logger): ((access: StoreAccess) => StoreAccess) | undefined {
  const raw = env[FAULT_DELAY_ENV];
  if (raw === undefined || raw === '') return undefined;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms <= 0) throw new Error(`${FAULT_DELAY_ENV}=${raw}: expected a positive whole number of milliseconds`);
  log.warn({ delayMs: ms }, `fault injection: every service write is held ${ms} ms before it is sent (${FAULT_DELAY_ENV})`);
  return (access) => ({
    view: () => access.view(),
    watch: (filter, options) => access.watch(filter, options),
    async propose(tx) {
      const id = tx instanceof Uint8Array ? '' : tx.id;
      const epoch = tx instanceof Uint8Array ? 0 : (tx.fence?.epoch ?? 0);
      log.warn({ txId: id, epoch, delayMs: ms }, 'fault injection: holding a write before sending it');
      await new Promise((r) => setTimeout(r, ms));
      log.warn({ txId: id, epoch }, 'fault injection: sending the held write');
      return access.propose(tx);
    },
  });
}
