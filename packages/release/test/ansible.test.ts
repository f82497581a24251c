import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeCli, flattenCommands } from '@flotilla/cli';
import { parseDaemonArgs } from '@flotilla/flotillad';
import { WORKSPACE_ROOT } from '../src/workspace.js';

// What can be checked of infra/ansible without hosts, in seconds; the real run on test hosts is
// `npm run test:ansible` (infra/ansible/test/run.sh). Ansible itself (apt: ansible-core) parses
// the playbook and renders the templates; systemd-analyze and sh check what it rendered.
const ansibleDir = join(WORKSPACE_ROOT, 'infra/ansible');
const work = mkdtempSync(join(tmpdir(), 'flotilla-ansible-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function playbook(...args: string[]): string {
  return execFileSync('ansible-playbook', ['-i', 'inventory.example.ini', 'site.yml', ...args], {
    cwd: ansibleDir,
    encoding: 'utf8',
    env: { ...process.env, ANSIBLE_CONFIG: join(ansibleDir, 'ansible.cfg'), ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCAL_TEMP: join(work, 'ansible-tmp'), HOME: work },
  });
}

// The sample cluster the templates are rendered for; the unit's flotillad is the real build.
const prefix = join(work, 'prefix');
const rendered = { unit: join(work, 'flotillad.service'), firewall: join(work, 'flotilla-firewall'), firewallUnit: join(work, 'flotilla-firewall.service') };
beforeAll(() => {
  mkdirSync(join(prefix, 'bin'), { recursive: true });
  const daemon = join(WORKSPACE_ROOT, 'apps/flotillad/dist/main.js');
  symlinkSync(daemon, join(prefix, 'bin', 'flotillad'));
  const request = {
    host: 'mgr1',
    hosts: {
      mgr1: { flotilla_advertise_addr: '192.0.2.11', flotilla_node_labels: { zone: 'a', storage: 'ssd' } },
      wrk1: { flotilla_advertise_addr: '192.0.2.21' },
    },
    groups: { managers: ['mgr1'], workers: ['wrk1'], flotilla: ['mgr1', 'wrk1'] },
    extra: { flotilla_version: '0.0.0', flotilla_npm_prefix: prefix, flotilla_firewall_extra_sources: ['198.51.100.0/24'] },
    templates: {
      'flotilla/templates/flotillad.service.j2': rendered.unit,
      'common/templates/flotilla-firewall.sh.j2': rendered.firewall,
      'common/templates/flotilla-firewall.service.j2': rendered.firewallUnit,
    },
  };
  execFileSync('/usr/bin/python3', [join(ansibleDir, 'test/render.py')], { input: JSON.stringify(request) });
});

describe('infra/ansible without hosts', () => {
  it('the playbook passes ansible-playbook --syntax-check and lists the roles in order', () => {
    expect(playbook('--syntax-check')).toContain('playbook: site.yml');
    const tasks = playbook('--list-tasks');
    const order = ['common : Apt packages Flotilla drives', 'flotilla : Install', 'manager : swarm init on the first manager', 'worker : Join as a worker'];
    const at = order.map((t) => tasks.indexOf(t));
    expect(at.every((i) => i >= 0), tasks).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  });

  it('every YAML file parses as Ansible reads it (--syntax-check skips include_tasks files)', () => {
    const files = execFileSync('find', ['.', '-name', '*.yml', '-o', '-name', '*.yaml'], { cwd: ansibleDir, encoding: 'utf8' }).trim().split('\n');
    expect(files.length).toBeGreaterThan(5);
    const parse = spawnSync('/usr/bin/python3', ['-c', [
      'import sys',
      'from ansible.parsing.utils.yaml import from_yaml',
      'bad = []',
      'for f in sys.argv[1:]:',
      '    try: from_yaml(open(f).read(), file_name=f)',
      '    except Exception as e: bad.append(f + ": " + str(e).splitlines()[0])',
      'print("\\n".join(bad))',
    ].join('\n'), ...files], { cwd: ansibleDir, encoding: 'utf8' });
    expect(parse.status, parse.stderr).toBe(0);
    expect(parse.stdout.trim()).toBe('');
  });

  it('the flotillad unit: systemd accepts it, and its command line parses with the daemon\'s own parser', () => {
    const unit = readFileSync(rendered.unit, 'utf8');
    for (const line of ['Restart=on-failure', 'KillMode=control-group', 'UMask=0077']) expect(unit).toContain(`\n${line}\n`);
    const verify = spawnSync('systemd-analyze', ['verify', rendered.unit], { encoding: 'utf8' });
    // Only this unit's own lines count: verify also reports units it pulls in (docker.service) that this machine may lack.
    expect(verify.stderr.split('\n').filter((l) => l.includes('flotillad.service:')), verify.stderr).toEqual([]);
    const exec = /\nExecStart=((?:[^\n]*\\\n)*[^\n]*)\n/.exec(unit)![1]!.replace(/\\\n/g, ' ');
    const [binary, ...args] = exec.trim().split(/\s+/);
    expect(binary).toBe(join(prefix, 'bin/flotillad'));
    const parsed = parseDaemonArgs(args, { cwd: '/', hostname: 'h', env: {}, version: '0.0.0' });
    expect(parsed.kind, JSON.stringify(parsed)).toBe('run');
    if (parsed.kind !== 'run') return;
    expect(parsed.config).toMatchObject({ dataDir: '/var/lib/flotilla', controlSocket: '/run/flotilla.sock', nodeName: 'mgr1', advertiseAddr: '192.0.2.11', labels: { zone: 'a', storage: 'ssd' } });
  });

  it('the firewall script: valid sh, the daemon\'s ports, the cluster\'s addresses, one chain', () => {
    const script = readFileSync(rendered.firewall, 'utf8');
    expect(spawnSync('sh', ['-n', rendered.firewall]).status).toBe(0);
    const ports = /\nPORTS="([^"]*)"/.exec(script)![1]!.split(' ').sort();
    // 2377 join/control, the daemon's default NATS ports, gossip, VXLAN.
    const daemon = parseDaemonArgs([], { cwd: '/', hostname: 'h', env: {}, version: '0.0.0' });
    if (daemon.kind !== 'run') throw new Error('the daemon refused its defaults');
    expect(ports).toEqual(['tcp:2377', `tcp:${daemon.config.natsPort}`, `tcp:${daemon.config.natsClusterPort}`, 'tcp:7946', 'udp:4789', 'udp:7946'].sort());
    expect(/\nSOURCES="([^"]*)"/.exec(script)![1]!.trim().split(/\s+/)).toEqual(['192.0.2.11/32', '192.0.2.21/32', '198.51.100.0/24']);
    expect(readFileSync(rendered.firewallUnit, 'utf8')).toContain('Before=flotillad.service');
  });

  it('every flotilla command the roles run exists in the CLI', () => {
    const paths = new Set(flattenCommands(describeCli()).map((c) => c.path.join(' ')));
    const roles = join(ansibleDir, 'roles');
    const used: string[] = [];
    for (const role of readdirSync(roles)) {
      for (const file of readdirSync(join(roles, role, 'tasks'))) {
        const text = readFileSync(join(roles, role, 'tasks', file), 'utf8');
        for (const m of text.matchAll(/(?:\/bin\/flotilla -H unix:\/\/\{\{ flotilla_control_socket \}\}|\{\{ flotilla_cli \}\})\s+([a-z][a-z -]*)/g)) {
          used.push(m[1]!.trim().split(/\s+/).filter((w) => !w.startsWith('-')).join(' '));
        }
      }
    }
    expect(used.length).toBeGreaterThanOrEqual(6);
    // The longest known prefix of each: `swarm join-token worker` is `swarm join-token` with an argument.
    const unknown = used.filter((u) => !u.split(' ').some((_, i, w) => paths.has(w.slice(0, w.length - i).join(' '))));
    expect(unknown).toEqual([]);
    expect(used).toEqual(expect.arrayContaining(['info', 'swarm init', 'swarm leave', 'node ls']));
  });
});
