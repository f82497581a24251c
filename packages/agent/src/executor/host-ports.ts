import { PortProtocol, PublishMode, type Task } from '@flotilla/api';
import type Docker from 'dockerode';

/**
 * Pure: a task's `--publish mode=host` ports as Docker port bindings, so they are bound on
 * this node only, where the task runs (ingress ports are the routing mesh's, on every node,
 * and not bound here). Published port 0 lets the engine pick one, as Docker does.
 */
export function hostPortBindings(task: Task): Pick<Docker.ContainerCreateOptions, 'ExposedPorts'> & { PortBindings?: Docker.PortMap } {
  const ports = task.endpoint?.ports.length ? task.endpoint.ports : (task.endpoint?.spec?.ports ?? []);
  const host = ports.filter((p) => p.publishMode === PublishMode.PUBLISH_MODE_HOST);
  if (host.length === 0) return {};
  const exposed: Record<string, object> = {};
  const bindings: Docker.PortMap = {};
  for (const p of host) {
    const key = `${p.targetPort}/${p.protocol === PortProtocol.PORT_PROTOCOL_UDP ? 'udp' : 'tcp'}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostIp: '', HostPort: p.publishedPort ? String(p.publishedPort) : '' });
  }
  return { ExposedPorts: exposed, PortBindings: bindings };
}
