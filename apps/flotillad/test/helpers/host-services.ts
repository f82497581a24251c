// What e2e files on test hosts ask of a service's containers and published ports.
import http from 'node:http';
import type { ClusterNode, HostCluster } from './host-cluster.js';

/** Running containers of `service` on every host: container id (12) → node. */
export async function containersOf(c: HostCluster, service: string): Promise<Map<string, ClusterNode>> {
  const out = new Map<string, ClusterNode>();
  for (const node of c.nodes) {
    const ps = await node.host.exec(['docker', 'ps', '--filter', `label=io.flotilla.service.name=${service}`, '--format', '{{.ID}}']);
    for (const id of ps.stdout.split('\n').filter(Boolean)) out.set(id.slice(0, 12), node);
  }
  return out;
}

/** GETs http://addr:port/ from this process (into the test hosts' bridge), `count` times; the bodies, or the error codes. */
export async function getMany(addr: string, port: number, count: number): Promise<string[]> {
  const one = () =>
    new Promise<string>((resolve) => {
      const req = http.get({ host: addr, port, path: '/', timeout: 3000, agent: false }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve(body.trim()));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e: NodeJS.ErrnoException) => resolve(`error:${e.code ?? e.message}`));
    });
  const got: string[] = [];
  for (let i = 0; i < count; i++) got.push(await one());
  return got;
}

/**
 * GETs http://<name>/ `count` times from inside a container; the bodies (or "fail"). With `nc`:
 * the image's static busybox `wget` crashes (static glibc), its `nc` and `nslookup` do not.
 */
export async function httpGetMany(node: ClusterNode, container: string, name: string, count: number): Promise<string[]> {
  const script = `for i in $(seq ${count}); do printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 3 ${name} 80 | tail -n 1 | grep . || echo fail; done`;
  const r = await node.host.exec(['docker', 'exec', container, 'sh', '-c', script], { allowFailure: true, timeoutMs: 120_000 });
  return r.stdout.split('\n').filter(Boolean);
}
