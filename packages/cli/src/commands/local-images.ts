// --resolve-image: there is no registry here, so "always" and "changed" can only ask the local
// Docker Engine whether it has the image (GET /images/{name}/json over its socket). Never pulls.
import { request } from 'node:http';

export type ImageCheck = 'present' | 'missing' | 'unreachable';

/** Asks the engine at DOCKER_HOST (unix sockets only; default /var/run/docker.sock). */
export function localImage(image: string, dockerHost = process.env['DOCKER_HOST'] ?? 'unix:///var/run/docker.sock'): Promise<ImageCheck> {
  const socketPath = dockerHost.startsWith('unix://') ? dockerHost.slice('unix://'.length) : dockerHost.startsWith('/') ? dockerHost : undefined;
  if (!socketPath) return Promise.resolve('unreachable');
  return new Promise((resolve) => {
    const req = request({ socketPath, path: `/images/${encodeURIComponent(image)}/json`, method: 'GET', timeout: 5_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200 ? 'present' : res.statusCode === 404 ? 'missing' : 'unreachable');
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve('unreachable'));
    req.end();
  });
}
