import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { HostCapabilities } from './choose.js';

const run = promisify(execFile);

async function succeeds(cmd: string, args: string[]): Promise<boolean> {
  try {
    await run(cmd, args, { timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/** Looks at the running kernel and tools; changes nothing. */
export async function probeHost(): Promise<HostCapabilities> {
  const ipvs = await access('/proc/net/ip_vs').then(() => true, () => false);
  const iptablesNat = await succeeds('iptables', ['-w', '-t', 'nat', '-S', 'OUTPUT']);
  // `-m statistic -h` loads the match extension's help: it fails when the extension is missing.
  const iptablesStatistic = iptablesNat && (await succeeds('iptables', ['-m', 'statistic', '-h']));
  return { ipvs, iptablesNat, iptablesStatistic };
}
