import { SpecError, validateClusterSpec } from '@flotilla/api';
import { CliError } from '../errors.js';

/**
 * `swarm init --default-addr-pool CIDR (repeatable) --default-addr-pool-mask-length N` as the
 * SwarmInitRequest fields, checked here with the api's cluster spec rules so a mistake is a
 * usage error (exit 2) and nothing is sent.
 */
export function addrPoolFromFlags(pools: readonly string[], maskLength: string | undefined): { defaultAddrPool: string[]; defaultAddrPoolMaskLength: number } {
  let mask = 0;
  if (maskLength !== undefined) {
    if (!/^\d+$/.test(maskLength)) throw new CliError(`invalid argument "${maskLength}" for "--default-addr-pool-mask-length" flag: expected a whole number`, 2);
    mask = Number(maskLength);
  }
  if (pools.length > 0 || mask > 0) {
    try {
      validateClusterSpec({ networkPool: { defaultAddrPool: pools.length > 0 ? [...pools] : ['10.0.0.0/8'], subnetSize: mask > 0 ? mask : 24 } });
    } catch (err) {
      if (err instanceof SpecError) throw new CliError(`invalid default address pool: ${err.message}`, 2);
      throw err;
    }
  }
  return { defaultAddrPool: [...pools], defaultAddrPoolMaskLength: mask };
}
