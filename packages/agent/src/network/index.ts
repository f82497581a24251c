export type { OverlayNetworkRef, OverlayEndpoint, OverlayDesired, ObservedOverlay, ObservedBridge, ObservedVxlan, FdbEntry, NeighEntry, NetCommand } from './overlay-types.js';
export { VXLAN_PORT, OVERLAY_MTU, NETWORK_ID_LABEL, bridgeName, vxlanName, dockerNetworkName, macForIp } from './overlay-names.js';
export { OverlayInputError, validateOverlay } from './overlay-validate.js';
export { planOverlay, planOverlayRemoval, desiredFdb, desiredNeigh } from './overlay-plan.js';
export { observedLinks, parseLinks, parseFdb, parsePermanentNeigh, overlayDeviceNames } from './overlay-observe.js';
export { localRunner, NetCommandError, type CommandRunner, type CommandOutput } from './command-runner.js';
export { OverlayLinks, type OverlayLinksOptions } from './overlay-links.js';
export { dockerNetworkCreateOptions, endpointsConfigFor, dockerNetworkMismatch } from './docker-overlay-network.js';
export { OverlayNetworks, type OverlayNetworksOptions, type EnsureResult } from './overlay-networks.js';
