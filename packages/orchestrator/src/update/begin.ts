import { Service, UpdateState, isJobMode, type ServiceSpec } from '@flotilla/api';

/**
 * The service as `service update` writes it: the old spec kept as previousSpec (what a rollback
 * returns to), specVersion bumped, update status UPDATING from `now`. The planner then replaces
 * the tasks whose spec differs; a change of replicas alone completes at once.
 * Throws (changing nothing) for changes an update cannot make.
 */
export function beginUpdate(service: Service, spec: ServiceSpec, now: number): Service {
  const name = service.spec?.annotations?.name ?? service.id;
  if ((spec.annotations?.name ?? '') !== (service.spec?.annotations?.name ?? '')) {
    throw new Error(`updating service ${name}: renaming services is not supported`);
  }
  if (spec.mode !== service.spec?.mode) {
    throw new Error(`updating service ${name}: service mode change is not allowed`);
  }
  if (isJobMode(spec.mode)) {
    // A job has no rolling update: any change (`--force` too) runs it again, as in SwarmKit. The
    // reconciler shuts down the previous iteration's tasks and starts the new one from zero.
    return Service.fromPartial({
      ...service,
      spec,
      previousSpec: service.spec,
      specVersion: service.specVersion + 1,
      jobStatus: { jobIteration: (service.jobStatus?.jobIteration ?? 0) + 1, lastExecution: now },
    });
  }
  return Service.fromPartial({
    ...service,
    spec,
    previousSpec: service.spec,
    specVersion: service.specVersion + 1,
    updateStatus: { state: UpdateState.UPDATE_STATE_UPDATING, startedAt: now, completedAt: 0, message: 'update in progress' },
  });
}

/** `service rollback`: back to previousSpec (the current spec becomes previousSpec), ROLLBACK_STARTED. */
export function beginRollback(service: Service, now: number): Service {
  const name = service.spec?.annotations?.name ?? service.id;
  if (!service.previousSpec) throw new Error(`rolling back service ${name}: service does not have a previous spec`);
  if (isJobMode(service.spec?.mode)) {
    return Service.fromPartial({
      ...service,
      spec: service.previousSpec,
      previousSpec: service.spec,
      specVersion: service.specVersion + 1,
      jobStatus: { jobIteration: (service.jobStatus?.jobIteration ?? 0) + 1, lastExecution: now },
    });
  }
  return Service.fromPartial({
    ...service,
    spec: service.previousSpec,
    previousSpec: service.spec,
    specVersion: service.specVersion + 1,
    updateStatus: { state: UpdateState.UPDATE_STATE_ROLLBACK_STARTED, startedAt: now, completedAt: 0, message: 'manually requested rollback' },
  });
}
