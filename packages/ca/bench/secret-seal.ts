// Run on purpose: `pnpm --filter @flotilla/ca exec tsx bench/secret-seal.ts`
// What sealing costs the control path (secret create) and opening the dispatcher (per task start):
// key derivation once per manager start, AES-256-GCM seal/open of a small and of a 500 KB value.
import { createRootCa } from '../src/root-ca.js';
import { deriveSecretsKey, openSecretValue, sealSecretValue } from '../src/secrets/secret-seal.js';

function medianUs(runs: number, fn: () => void): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const start = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e3);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? Number.NaN;
}

const root = createRootCa({ clusterId: 'bench' });
const deriveUs = medianUs(51, () => deriveSecretsKey(root.keyPem, 'bench'));
const key = deriveSecretsKey(root.keyPem, 'bench');
const parts: string[] = [`derive_us=${deriveUs.toFixed(0)}`];
for (const [label, size] of [['1k', 1024], ['500k', 500 * 1024]] as const) {
  const value = Buffer.alloc(size, 7);
  const sealed = sealSecretValue(key, 'sid', value);
  parts.push(`seal_${label}_us=${medianUs(201, () => sealSecretValue(key, 'sid', value)).toFixed(0)}`);
  parts.push(`open_${label}_us=${medianUs(201, () => openSecretValue(key, 'sid', sealed)).toFixed(0)}`);
}
console.log(`ca-secret-seal: ${parts.join(' ')}`);
