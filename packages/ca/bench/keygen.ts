// Run on purpose: `pnpm --filter @flotilla/ca exec tsx bench/keygen.ts`
// Compares Node's native RSA-2048 key generation with node-forge's pure-JS generator.
import forge from 'node-forge';
import { generateRsaKeyPair } from '../src/keys.js';

function medianMs(runs: number, fn: () => void): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const start = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? Number.NaN;
}

// @types/node-forge does not declare forge.options, which exists at runtime.
const forgeOptions = (forge as unknown as { options: { usePureJavaScript: boolean } }).options;

const nativeMs = medianMs(9, () => generateRsaKeyPair(2048));
forgeOptions.usePureJavaScript = true; // only here, to measure what we avoid
const forgeJsMs = medianMs(3, () => forge.pki.rsa.generateKeyPair({ bits: 2048, e: 0x10001 }));
forgeOptions.usePureJavaScript = false;
console.log(`ca-keygen: native_ms=${nativeMs.toFixed(1)} forge_js_ms=${forgeJsMs.toFixed(1)}`);
