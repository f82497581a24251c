// Distributed Application Bundles (docker 1.12's .dab, format 0.1): JSON with Services -> Image,
// Command, Args, Env, Labels, Networks, Ports, User, WorkingDir. Turned into the same compose
// model a compose file gives, so deploy treats both alike.
import { StackFileError, StackFileErrors } from './errors.js';
import type { ComposeModel, ServiceModel } from './model.js';

const SERVICE_KEYS = new Set(['Image', 'Command', 'Args', 'Env', 'Labels', 'Networks', 'Ports', 'User', 'WorkingDir']);

export function loadBundle(text: string, file: string, name: string): ComposeModel {
  const problems: StackFileError[] = [];
  const bad = (key: string, reason: string) => problems.push(new StackFileError(key, reason, { file, line: 1, column: 1 }));
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new StackFileErrors([new StackFileError('', `bundle is not valid JSON: ${(err as Error).message}`, { file, line: 1, column: 1 })]);
  }
  const root = (doc ?? {}) as Record<string, unknown>;
  if (root['Version'] !== '0.1') bad('Version', `unsupported bundle version ${JSON.stringify(root['Version'])} (expected "0.1")`);
  for (const k of Object.keys(root)) if (k !== 'Version' && k !== 'Services') bad(k, `unknown bundle key ${k}`);
  const services: Record<string, ServiceModel> = {};
  const networks: ComposeModel['networks'] = {};
  const raw = root['Services'];
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) bad('Services', 'must be a mapping of service names to services');
  for (const [key, value] of Object.entries((raw ?? {}) as Record<string, unknown>)) {
    const at = `Services.${key}`;
    const s = (value ?? {}) as Record<string, unknown>;
    for (const k of Object.keys(s)) if (!SERVICE_KEYS.has(k)) bad(`${at}.${k}`, `unknown service key ${k}`);
    const strings = (k: string): string[] | undefined => {
      const v = s[k];
      if (v === undefined || v === null) return undefined;
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
        bad(`${at}.${k}`, 'must be a list of strings');
        return undefined;
      }
      return v as string[];
    };
    if (typeof s['Image'] !== 'string' || s['Image'] === '') bad(`${at}.Image`, 'must name an image');
    const out: ServiceModel = { image: String(s['Image'] ?? ''), networks: {} };
    const command = strings('Command');
    const args = strings('Args');
    if (command) out.entrypoint = command;
    if (args) out.command = args;
    const env = strings('Env');
    if (env) {
      out.environment = {};
      for (const e of env) {
        const i = e.indexOf('=');
        out.environment[i < 0 ? e : e.slice(0, i)] = i < 0 ? null : e.slice(i + 1);
      }
    }
    if (s['Labels'] !== undefined) out.labels = s['Labels'] as Record<string, string>;
    for (const net of strings('Networks') ?? []) {
      out.networks[net] = null;
      networks[net] = { name: `${name}_${net}`, driver: 'overlay' };
    }
    if (Object.keys(out.networks).length === 0) {
      out.networks['default'] = null;
      networks['default'] = { name: `${name}_default`, driver: 'overlay' };
    }
    if (Array.isArray(s['Ports'])) {
      // A bundle names the container port only: the swarm picks the published one.
      out.ports = (s['Ports'] as Array<Record<string, unknown>>).map((p, i) => {
        const target = Number(p['Port']);
        const protocol = String(p['Protocol'] ?? 'tcp').toLowerCase();
        if (!Number.isInteger(target) || target < 1 || target > 65535) bad(`${at}.Ports[${i}].Port`, `must be a port between 1 and 65535 (got ${JSON.stringify(p['Port'])})`);
        if (protocol !== 'tcp' && protocol !== 'udp') bad(`${at}.Ports[${i}].Protocol`, `must be tcp or udp (got ${JSON.stringify(p['Protocol'])})`);
        return { mode: 'ingress', target, protocol: protocol === 'udp' ? 'udp' : 'tcp' };
      });
    }
    if (typeof s['User'] === 'string' && s['User'] !== '') out.user = s['User'];
    if (typeof s['WorkingDir'] === 'string' && s['WorkingDir'] !== '') out.working_dir = s['WorkingDir'];
    services[key] = out;
  }
  if (problems.length > 0) throw new StackFileErrors(problems);
  return { name, services, networks, volumes: {}, secrets: {}, configs: {} };
}
