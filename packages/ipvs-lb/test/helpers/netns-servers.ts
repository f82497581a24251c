import type { ChildProcess } from 'node:child_process';
import type { TestHost } from '@flotilla/testkit';
import { waitFor } from '@flotilla/testkit';
import type { CommandRunner } from '../../src/index.js';

// A TCP server that answers every connection with its name, run by this Node binary inside a namespace.
const SERVER = `
const net = require('node:net');
const [addr, port, name] = process.argv.slice(1);
net.createServer((s) => s.end(name)).listen(Number(port), addr, () => console.log('ready'));
`;

// Opens `count` connections one after another and prints the names that answered, as JSON.
const CLIENT = `
const net = require('node:net');
const [addr, port, count] = process.argv.slice(1);
const one = () => new Promise((resolve) => {
  const c = net.connect(Number(port), addr);
  let data = '';
  c.setTimeout(3000, () => { c.destroy(); resolve('timeout'); });
  c.on('data', (d) => (data += d));
  c.on('end', () => resolve(data));
  c.on('error', (e) => resolve('error:' + e.code));
});
(async () => { const got = []; for (let i = 0; i < Number(count); i++) got.push(await one()); console.log(JSON.stringify(got)); })();
`;

// The UDP twin: answers each datagram with its name.
const UDP_SERVER = `
const dgram = require('node:dgram');
const [addr, port, name] = process.argv.slice(1);
const s = dgram.createSocket('udp4');
s.on('message', (m, r) => s.send(name, r.port, r.address));
s.bind(Number(port), addr, () => console.log('ready'));
`;

// Sends one datagram from a fresh socket (a new conntrack entry) per try and prints the answers.
const UDP_CLIENT = `
const dgram = require('node:dgram');
const [addr, port, count] = process.argv.slice(1);
const one = () => new Promise((resolve) => {
  const c = dgram.createSocket('udp4');
  const t = setTimeout(() => { c.close(); resolve('timeout'); }, 3000);
  c.on('message', (m) => { clearTimeout(t); c.close(); resolve(m.toString()); });
  c.send('hi', Number(port), addr);
});
(async () => { const got = []; for (let i = 0; i < Number(count); i++) got.push(await one()); console.log(JSON.stringify(got)); })();
`;

export async function startNamedServer(host: TestHost, addr: string, port: number, name: string, protocol: 'tcp' | 'udp' = 'tcp'): Promise<ChildProcess> {
  const child = host.spawn([process.execPath, '-e', protocol === 'tcp' ? SERVER : UDP_SERVER, addr, String(port), name], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  await waitFor(() => {
    if (child.exitCode !== null) throw new Error(`server ${name} exited: ${err}`);
    return out.includes('ready');
  }, { what: `${protocol} server ${name} on ${addr}:${port} in ${host.netns}` });
  return child;
}

export async function connectMany(host: TestHost, addr: string, port: number, count: number, protocol: 'tcp' | 'udp' = 'tcp'): Promise<string[]> {
  const r = await host.exec([process.execPath, '-e', protocol === 'tcp' ? CLIENT : UDP_CLIENT, addr, String(port), String(count)], { timeoutMs: 60_000 });
  return JSON.parse(r.stdout) as string[];
}

export function runnerIn(host: TestHost): CommandRunner {
  return async (argv, input) => (await host.exec(argv, input !== undefined ? { input } : {})).stdout;
}
