export * from './ipam/ipv4.js';
export { SubnetPool } from './ipam/subnet-pool.js';
export { AddressPool } from './ipam/address-pool.js';
export { PublishedPorts, DYNAMIC_PORT_RANGE, type Protocol } from './ports/published-ports.js';
export { VxlanIds, FIRST_VXLAN_ID, LAST_VXLAN_ID } from './vxlan/vxlan-ids.js';
export { AllocatorService } from './service/allocator-service.js';
export type { AllocatorServiceOptions } from './service/allocator-service.js';
export { allocateEndpoint } from './service/endpoint.js';
