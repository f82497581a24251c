// depends_on (issue 15, beyond docker: moby#29133). A service whose spec lists dependencies gets
// no task until each dependency is started, healthy or completed; once let go it is never held
// again (the release time is kept on the service). Pure: the service, the services by name and
// their tasks in; a verdict out.
import { DependencyCondition, ServiceMode, TaskState, type Service, type ServiceDependency, type Task } from '@flotilla/api';

export type DependencyVerdict = { held: false; release: boolean } | { held: true; waitingFor: string };

export interface DependencyFacts {
  /** The service of that name, if there is one. */
  service(name: string): Service | undefined;
  /** Every task of a service (any state). */
  tasks(serviceId: string): readonly Task[];
}

const STARTED = new Set<TaskState>([TaskState.TASK_STATE_STARTING, TaskState.TASK_STATE_RUNNING, TaskState.TASK_STATE_COMPLETE]);

/** How many of the dependency's units (slots, or nodes for a global service) meet the condition, out of how many. */
export function dependencyProgress(dep: Service, tasks: readonly Task[], condition: DependencyCondition): { met: number; wanted: number } {
  const global = dep.spec?.mode === ServiceMode.SERVICE_MODE_GLOBAL || dep.spec?.mode === ServiceMode.SERVICE_MODE_GLOBAL_JOB;
  const current = tasks.filter((t) => t.specVersion === dep.specVersion || condition === DependencyCondition.DEPENDENCY_CONDITION_COMPLETED);
  const unit = (t: Task) => (global ? `n:${t.nodeId}` : `s:${t.slot}`);
  const wanted = global
    ? new Set(current.filter((t) => t.desiredState === TaskState.TASK_STATE_RUNNING || t.desiredState === TaskState.TASK_STATE_READY).map(unit)).size
    : (dep.spec?.replicas ?? 0);
  const ok = (t: Task): boolean => {
    const state = t.status?.state ?? TaskState.TASK_STATE_NEW;
    switch (condition) {
      case DependencyCondition.DEPENDENCY_CONDITION_HEALTHY:
        // An agent reports RUNNING only once a container with a health check is healthy.
        return state === TaskState.TASK_STATE_RUNNING && t.desiredState === TaskState.TASK_STATE_RUNNING;
      case DependencyCondition.DEPENDENCY_CONDITION_COMPLETED:
        return state === TaskState.TASK_STATE_COMPLETE;
      default:
        return STARTED.has(state);
    }
  };
  const met = new Set(current.filter(ok).map(unit)).size;
  return { met, wanted };
}

const WHAT: Record<DependencyCondition, [string, string]> = {
  [DependencyCondition.DEPENDENCY_CONDITION_STARTED]: ['to start', 'started'],
  [DependencyCondition.DEPENDENCY_CONDITION_HEALTHY]: ['to be healthy', 'running healthy'],
  [DependencyCondition.DEPENDENCY_CONDITION_COMPLETED]: ['to complete successfully', 'completed'],
  [DependencyCondition.UNRECOGNIZED]: ['to start', 'started'],
};

function unmet(d: ServiceDependency, facts: DependencyFacts): string | undefined {
  const dep = facts.service(d.service);
  if (!dep) return `${d.service} to exist`;
  const { met, wanted } = dependencyProgress(dep, facts.tasks(dep.id), d.condition);
  // A global service with no task yet, or a replicated one scaled to 0: nothing to wait for only in the latter case.
  const enough = dep.spec?.mode === ServiceMode.SERVICE_MODE_GLOBAL || dep.spec?.mode === ServiceMode.SERVICE_MODE_GLOBAL_JOB ? wanted > 0 && met >= wanted : met >= wanted;
  if (enough) return undefined;
  const [verb, noun] = WHAT[d.condition];
  return `${d.service} ${verb} (${met}/${wanted} ${noun})`;
}

/**
 * Whether the service's tasks must still wait. `release` is true the first time a service with
 * dependencies may go: the caller records the release so the service is never held again.
 */
export function dependencyVerdict(service: Service, facts: DependencyFacts): DependencyVerdict {
  const deps = service.spec?.dependsOn ?? [];
  if (deps.length === 0 || (service.dependencies?.releasedAt ?? 0) > 0) return { held: false, release: false };
  // A service that already has tasks (created before its dependencies were recorded) is not held back.
  if (facts.tasks(service.id).length > 0) return { held: false, release: true };
  const waiting = deps.map((d) => unmet(d, facts)).filter((m): m is string => m !== undefined);
  if (waiting.length > 0) return { held: true, waitingFor: waiting.join(', ') };
  return { held: false, release: true };
}
