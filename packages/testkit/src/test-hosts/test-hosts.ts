// createTestHosts: N "machines" on this one, each a network namespace on a
// shared bridge, optionally with its own Docker Engine. For networking and
// failover tests: cut a host off, heal it, kill it, and always clean up.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runSync } from './commands.js';
import { loadImages, saveImages } from './docker-engine.js';
import { registerForExit, unregisterForExit } from './exit-hooks.js';
import { cutOffHost, healHost, HostState, killHost, makeHost, restartHostEngine, startHostEngine, stopEngineGently } from './host.js';
import { bridgeAddr, DEFAULT_PREFIX, hostNames, newRunId, runNames, subnetClaimFile, SUBNET_OCTETS, validateHostCount, validatePrefix, type RunNames } from './names.js';
import { bridgeSetup, hostSetup } from './network.js';
import { currentOwner, tryClaim, writeOwner } from './owner.js';
import { isRunning } from './processes.js';
import { sweepLeftovers } from './sweep.js';
import { teardownRunSync } from './teardown.js';
import { DEFAULT_TEST_IMAGES, type CreateTestHostsOptions, type TestHost, type TestHosts } from './types.js';
import { startWatchdog } from './watchdog.js';

function claimSubnet(run: RunNames): number {
  const used = runSync(['ip', '-o', '-4', 'addr', 'show'], { what: 'listing addresses in the root namespace' }).stdout;
  for (const k of SUBNET_OCTETS) {
    // Someone else's address in 198.18.k.0/24 would make routes to our hosts ambiguous.
    if (new RegExp(`\\binet 198\\.18\\.${k}\\.\\d+/`).test(used)) continue;
    if (tryClaim(subnetClaimFile(run.prefix, k), run.runId).claimed) return k;
  }
  throw new Error('no free subnet 198.18.k.0/24 for test hosts: run sweepLeftovers() or remove /run/<prefix>-subnet-* claims of dead runs');
}

function newRun(prefix: string): RunNames {
  for (let attempt = 0; attempt < 10; attempt++) {
    const names = runNames(prefix, newRunId());
    // The owner file is made exclusively and first: it is what marks the run as live to sweepers.
    if (tryClaim(names.ownerFile, '').claimed) {
      writeOwner(names.ownerFile, currentOwner());
      return names;
    }
  }
  throw new Error(`could not pick an unused test-host run id under /run/${prefix}-*`);
}

export async function createTestHosts(opts: CreateTestHostsOptions): Promise<TestHosts> {
  validateHostCount(opts.count);
  const prefix = opts.prefix ?? DEFAULT_PREFIX;
  validatePrefix(prefix);
  const withDocker = opts.withDocker ?? false;
  const images = opts.images ?? DEFAULT_TEST_IMAGES;
  if (withDocker && images.length === 0) throw new Error('createTestHosts: withDocker needs at least one image to load');

  if (opts.sweep ?? true) sweepLeftovers(prefix);
  const run = newRun(prefix);
  const watchdogPid = (opts.watchdog ?? true) ? startWatchdog(run) : undefined;
  const states: HostState[] = [];
  const allTracked = (): number[] => states.flatMap((s) => [...s.tracked]);
  registerForExit(run.tag, () => {
    const problems = teardownRunSync(run, allTracked());
    if (problems.length > 0) throw new Error(problems.join('; '));
  });

  let destroyed = false;
  const destroy = async (): Promise<void> => {
    if (destroyed) return;
    destroyed = true;
    // Let each engine remove its containers and stop, so cgroups and mounts go the orderly way; teardown kills what is left.
    await Promise.all(states.filter((s) => s.enginePid !== undefined && isRunning(s.enginePid)).map((s) => stopEngineGently(s)));
    const problems = teardownRunSync(run, allTracked());
    unregisterForExit(run.tag);
    if (problems.length > 0) throw new Error(`destroying test hosts ${run.tag} left things behind:\n${problems.join('\n')}`);
  };

  try {
    const subnet = claimSubnet(run);
    writeOwner(run.ownerFile, { ...currentOwner(), subnet });
    mkdirSync(run.tmpDir, { mode: 0o700 });
    mkdirSync(run.runDir, { mode: 0o700 });
    for (const argv of bridgeSetup(run, subnet)) runSync(argv, { what: `creating the bridge of test hosts ${run.tag}` });
    for (let i = 1; i <= opts.count; i++) {
      const names = hostNames(run, subnet, i);
      mkdirSync(names.dir);
      states.push(new HostState(names, withDocker));
      for (const argv of hostSetup(run, subnet, names)) runSync(argv, { what: `creating test host ${names.name} (${names.netns})` });
    }
    if (withDocker) {
      const tarball = join(run.tmpDir, 'images.tar');
      await saveImages(images, tarball);
      await Promise.all(
        states.map(async (s) => {
          await startHostEngine(s, opts.engineStartTimeoutMs);
          await loadImages(s.names, tarball);
        }),
      );
    }
    const hosts = states.map((s) => makeHost(s));
    const stateOf = (host: TestHost): HostState => {
      const s = states[host.index - 1];
      if (!s || hosts[host.index - 1] !== host) throw new Error(`test host ${host.name} does not belong to run ${run.tag}`);
      return s;
    };
    return {
      runId: run.runId,
      watchdogPid,
      bridge: run.bridge,
      gateway: bridgeAddr(subnet),
      hosts,
      cutOff: (host) => cutOffHost(stateOf(host)),
      heal: (host) => healHost(stateOf(host)),
      kill: (host) => killHost(stateOf(host)),
      restartEngine: (host) => restartHostEngine(stateOf(host), opts.engineStartTimeoutMs),
      destroy,
    };
  } catch (err) {
    await destroy().catch((cleanupErr: unknown) => {
      (err as Error & { cleanupError?: unknown }).cleanupError = cleanupErr;
    });
    throw err;
  }
}
