export { addressOf, taskAttachments, overlayRefOf, overlaysOf, type TaskAttachment } from './overlay-desired.js';
export { NetworkStateFollower, isNewerState, type NetworkStateFollowerOptions } from './network-state-follower.js';
export { TaskNetworks, networksInUse, DEFAULT_NETWORK_WAIT_MS, type ContainerNetworking, type OverlayPlumbing, type TaskNetworksOptions } from './task-networks.js';
export { NodeNetworking, type NodeNetworkingOptions, type OverlayOptions, type TaskNetworkHooks } from './node-networking.js';
export { mergeLiveFacts, type LiveFacts, type LiveNetworkFacts } from './live-facts.js';
