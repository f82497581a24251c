import type { Logger } from 'pino';
import type { BackendChoice } from '../backends/choose.js';
import type { CommandRunner } from '../exec/runner.js';
import { IptablesBackend } from '../iptables/backend.js';
import { IpvsBackend } from '../ipvs/backend.js';
import { UserspaceBackend } from '../userspace/backend.js';
import type { LoadBalancer } from './types.js';

/** The back end `chooseBackend` picked, ready to use. */
export function createLoadBalancer(choice: BackendChoice, opts: { run?: CommandRunner; logger?: Logger; chainPrefix?: string } = {}): LoadBalancer {
  switch (choice.kind) {
    case 'ipvs':
      return new IpvsBackend(opts);
    case 'iptables':
      return new IptablesBackend(opts);
    case 'userspace':
      return new UserspaceBackend();
  }
}
