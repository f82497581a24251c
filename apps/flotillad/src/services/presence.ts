// Who runs which manager service where (issue 16, `flotilla info`): every process that runs service
// instances — a manager's flotillad with its in-process services, a `flotillad service <name>`
// process — answers the presence request on flt.<cid>.services.status with one status per
// instance; a manager gathers the answers for a short while.
import { ServiceInstanceStatus, ServiceStatusRequest } from '@flotilla/api';
import { encodeMessage, type BusConnection, type ClusterSubjects, type Logger } from '@flotilla/bus';

type Nc = BusConnection['nc'];

/** Answers every presence request with `statuses()`, one message per instance. */
export function servePresence(nc: Nc, subjects: ClusterSubjects, statuses: () => ServiceInstanceStatus[], log: Logger): { stop(): void } {
  const sub = nc.subscribe(subjects.services.status, {
    callback: (err, msg) => {
      if (err) return log.warn({ err }, 'presence subscription failed');
      if (!msg.reply) return;
      for (const s of statuses()) msg.respond(encodeMessage(ServiceInstanceStatus, s));
    },
  });
  return { stop: () => sub.unsubscribe() };
}

/**
 * The statuses that arrive, sorted by service then instance; none when nobody answers. Answers
 * come within milliseconds, so gathering ends 100 ms after the last one (at most `waitMs`):
 * `info` pays the full wait only when no instance runs anywhere.
 */
export async function gatherServiceStatus(nc: Nc, subjects: ClusterSubjects, waitMs = 400): Promise<ServiceInstanceStatus[]> {
  const out: ServiceInstanceStatus[] = [];
  try {
    const replies = await nc.requestMany(subjects.services.status, encodeMessage(ServiceStatusRequest, {}), { strategy: 'stall', stall: 100, maxWait: waitMs });
    for await (const m of replies) {
      try {
        out.push(ServiceInstanceStatus.decode(m.data));
      } catch {
        // A malformed answer tells nothing about anyone; the others still count.
      }
    }
  } catch {
    // No responders (nothing runs) or the connection went: nothing to list.
  }
  return out.sort((a, b) => a.service.localeCompare(b.service) || a.instanceId.localeCompare(b.instanceId));
}
