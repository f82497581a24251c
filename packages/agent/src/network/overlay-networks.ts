// Edge: one node's overlay networks, kernel devices and Docker networks
// together. Calls are serialised: the agent's loop and a re-adoption pass
// may ask at the same time, and each call's plan assumes nobody else edits.
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import type { CommandRunner } from './command-runner.js';
import { dockerNetworkCreateOptions, dockerNetworkMismatch } from './docker-overlay-network.js';
import { OverlayLinks } from './overlay-links.js';
import { dockerNetworkName, NETWORK_ID_LABEL } from './overlay-names.js';
import { overlayDeviceNames, parseLinks } from './overlay-observe.js';
import { undesiredOverlays, type UndesiredOverlays } from './overlay-prune.js';
import type { NetCommand, OverlayDesired, OverlayNetworkRef } from './overlay-types.js';
import { validateOverlay } from './overlay-validate.js';
import { VxlanFilter, vxlanPeersOf, type VxlanPeers } from './vxlan-filter.js';

export interface OverlayNetworksOptions {
  run: CommandRunner;
  docker: Docker;
  localAddr: string;
  /** The agent's logger (with its nodeId); the overlay code logs as component `overlay`. */
  logger?: Logger;
}

export interface EnsureResult {
  commands: NetCommand[];
  dockerNetworkCreated: boolean;
}

function statusOf(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'statusCode' in err ? Number((err as { statusCode: unknown }).statusCode) : undefined;
}

export class OverlayNetworks {
  readonly links: OverlayLinks;
  private readonly docker: Docker;
  private readonly run: CommandRunner;
  private readonly localAddr: string;
  private readonly logger: Logger | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly filter: VxlanFilter;
  /** The VTEPs each plumbed VNI takes frames from (what the VXLAN filter lets in). */
  private readonly peers = new Map<number, VxlanPeers>();

  constructor(opts: OverlayNetworksOptions) {
    this.logger = opts.logger?.child({ component: 'overlay' });
    this.links = new OverlayLinks({ ...opts, logger: this.logger });
    this.docker = opts.docker;
    this.run = opts.run;
    this.localAddr = opts.localAddr;
    this.filter = new VxlanFilter(opts.run);
  }

  /** The VXLAN filter first (a new device never listens unfiltered), then bridge, VXLAN device, entries, then the Docker network bound to the bridge. */
  ensure(desired: OverlayDesired): Promise<EnsureResult> {
    return this.serial(async () => {
      validateOverlay(desired, this.localAddr);
      this.peers.set(desired.network.vni, vxlanPeersOf(desired, this.localAddr));
      await this.applyFilter();
      const commands = await this.links.ensure(desired);
      const dockerNetworkCreated = await this.ensureDockerNetwork(desired.network);
      return { commands, dockerNetworkCreated };
    });
  }

  /** Removes the Docker network (the engine refuses while containers use it) and the devices. */
  remove(network: Pick<OverlayNetworkRef, 'id' | 'vni'>): Promise<NetCommand[]> {
    return this.serial(async () => {
      const name = dockerNetworkName(network.id);
      try {
        await this.docker.getNetwork(name).remove();
        this.logger?.info({ networkId: network.id, vni: network.vni, dockerNetwork: name }, 'docker network removed');
      } catch (err) {
        if (statusOf(err) !== 404) throw new Error(`removing docker network ${name} of overlay ${network.id}: ${(err as Error).message}`, { cause: err });
      }
      const commands = await this.links.remove(network.vni, network.id);
      this.peers.delete(network.vni);
      await this.applyFilter();
      return commands;
    });
  }

  /**
   * Removes every overlay on the node that is not in `keep`: Flotilla's Docker networks (by
   * label) and bridge/VXLAN devices (by name). Returns what it removed. A network still in use
   * makes it reject, after removing what it could.
   */
  prune(keep: readonly Pick<OverlayNetworkRef, 'id' | 'vni'>[]): Promise<UndesiredOverlays> {
    return this.serial(async () => {
      const networks = await this.docker.listNetworks({ filters: { label: [NETWORK_ID_LABEL] } });
      const devices = overlayDeviceNames(parseLinks((await this.run(['ip', '-d', '-j', 'link', 'show'])).stdout));
      const gone = undesiredOverlays(devices, networks.map((n) => ({ name: n.Name, labels: n.Labels })), keep);
      const failures: string[] = [];
      for (const name of gone.dockerNetworks) {
        try {
          await this.docker.getNetwork(name).remove();
          this.logger?.info({ dockerNetwork: name }, 'undesired docker network removed');
        } catch (err) {
          if (statusOf(err) !== 404) failures.push(`${name}: ${(err as Error).message}`);
        }
      }
      for (const vni of gone.vnis) await this.links.remove(vni);
      const keepVnis = new Set(keep.map((n) => n.vni));
      for (const vni of [...this.peers.keys()]) if (!keepVnis.has(vni)) this.peers.delete(vni);
      // Nothing kept (a leave, or an agent that has no overlay left): no filter either. Kept
      // overlays not ensured yet keep the rules an earlier agent wrote until ensure rewrites them.
      if (keep.length === 0 || this.peers.size > 0) await this.applyFilter();
      if (failures.length > 0) throw new Error(`pruning overlays not in use here: could not remove docker networks ${failures.join('; ')}`);
      return gone;
    });
  }

  /** Attaches a created or running container to the network with the allocator's address. */
  connect(containerId: string, network: OverlayNetworkRef, ip: string): Promise<void> {
    return this.serial(async () => {
      const name = dockerNetworkName(network.id);
      try {
        await this.docker.getNetwork(name).connect({ Container: containerId, EndpointConfig: { IPAMConfig: { IPv4Address: ip } } });
      } catch (err) {
        throw new Error(`attaching container ${containerId} to overlay ${network.id} with ${ip}: ${(err as Error).message}`, { cause: err });
      }
    });
  }

  /** The filter as the plumbed overlays want it; none at all without overlays. */
  private async applyFilter(): Promise<void> {
    if (this.peers.size === 0) {
      await this.filter.remove();
      return;
    }
    if (await this.filter.apply([...this.peers.values()])) {
      this.logger?.info({ overlays: [...this.peers.values()].map((p) => ({ vni: p.vni, vteps: p.vteps })) }, 'VXLAN filter: frames accepted only from these VTEPs');
    }
  }

  private async ensureDockerNetwork(network: OverlayNetworkRef): Promise<boolean> {
    const name = dockerNetworkName(network.id);
    try {
      const info = (await this.docker.getNetwork(name).inspect()) as Docker.NetworkInspectInfo;
      const mismatch = dockerNetworkMismatch(info, network);
      // Replacing it would cut the containers on it off; an operator (or the agent, once they are gone) must.
      if (mismatch) throw new Error(`docker network ${name} exists for overlay ${network.id} but differs: ${mismatch}`);
      return false;
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
    await this.docker.createNetwork(dockerNetworkCreateOptions(network));
    this.logger?.info({ networkId: network.id, vni: network.vni, dockerNetwork: name }, 'docker network created');
    return true;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
