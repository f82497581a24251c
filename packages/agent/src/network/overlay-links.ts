// Edge: reads the node's overlay devices and runs the planned commands.
// Every call observes first, so running it again changes nothing.
import type { Logger } from 'pino';
import { NetCommandError, type CommandRunner } from './command-runner.js';
import { bridgeName, vxlanName } from './overlay-names.js';
import { observedLinks, parseFdb, parseIpv4Addrs, parseLinks, parsePermanentNeigh } from './overlay-observe.js';
import { planOverlay, planOverlayRemoval } from './overlay-plan.js';
import type { NetCommand, ObservedOverlay, OverlayDesired } from './overlay-types.js';
import { validateOverlay } from './overlay-validate.js';

export interface OverlayLinksOptions {
  run: CommandRunner;
  /** This node's advertise address: the VXLAN devices' local VTEP address. */
  localAddr: string;
  logger?: Logger;
}

export class OverlayLinks {
  private readonly run: CommandRunner;
  private readonly localAddr: string;
  private readonly logger: Logger | undefined;

  constructor(opts: OverlayLinksOptions) {
    this.run = opts.run;
    this.localAddr = opts.localAddr;
    this.logger = opts.logger;
  }

  async observe(vni: number): Promise<ObservedOverlay> {
    const links = parseLinks((await this.exec({ argv: ['ip', '-d', '-j', 'link', 'show'], why: 'listing links' })).stdout);
    const { bridge, vxlan } = observedLinks(links, vni);
    const fdb = vxlan
      ? parseFdb((await this.exec({ argv: ['bridge', '-j', 'fdb', 'show', 'dev', vxlanName(vni)], why: `listing forwarding entries of vni ${vni}` })).stdout)
      : [];
    const neigh = bridge
      ? parsePermanentNeigh((await this.exec({ argv: ['ip', '-j', 'neigh', 'show', 'dev', bridgeName(vni), 'nud', 'permanent'], why: `listing neighbours of vni ${vni}` })).stdout)
      : [];
    const bridgeAddrs = bridge
      ? parseIpv4Addrs((await this.exec({ argv: ['ip', '-j', '-4', 'addr', 'show', 'dev', bridgeName(vni)], why: `listing addresses of vni ${vni}'s bridge` })).stdout)
      : [];
    return { bridge, bridgeAddrs, vxlan, fdb, neigh };
  }

  /** Makes the node's devices and entries for the network match `desired`; returns the commands it ran. */
  async ensure(desired: OverlayDesired): Promise<NetCommand[]> {
    validateOverlay(desired, this.localAddr);
    const plan = planOverlay(desired, this.localAddr, await this.observe(desired.network.vni));
    await this.apply(plan, { networkId: desired.network.id, vni: desired.network.vni });
    return plan;
  }

  /** Removes the network's devices (their entries go with them); returns the commands it ran. */
  async remove(vni: number, networkId?: string): Promise<NetCommand[]> {
    const plan = planOverlayRemoval(vni, await this.observe(vni));
    await this.apply(plan, { networkId, vni });
    return plan;
  }

  private async apply(plan: readonly NetCommand[], ids: { networkId: string | undefined; vni: number }): Promise<void> {
    for (const step of plan) {
      await this.exec(step);
      this.logger?.info({ ...ids, argv: step.argv.join(' '), why: step.why }, 'overlay command ran');
    }
  }

  private async exec(step: NetCommand) {
    try {
      return await this.run(step.argv);
    } catch (err) {
      throw new NetCommandError(step.argv, step.why, err);
    }
  }
}
