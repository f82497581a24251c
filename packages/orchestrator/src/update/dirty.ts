import { TaskSpec, type Service, type Task } from '@flotilla/api';

/**
 * A task is out of date when its task spec differs from the service's, as in
 * swarm. Comparing content rather than specVersion means a rollback (which
 * bumps the version back to the old spec) leaves tasks that already run the
 * old spec alone, and `--force` (which bumps forceUpdate) replaces them all.
 */
export function isDirty(task: Task, service: Service): boolean {
  return canonical(task.spec) !== canonical(service.spec?.task);
}

function canonical(spec: TaskSpec | undefined): string {
  return stableStringify(TaskSpec.toJSON(TaskSpec.fromPartial(spec ?? {})));
}

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
