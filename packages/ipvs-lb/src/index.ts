export { chooseBackend, type BackendKind, type BackendChoice, type HostCapabilities } from './backends/choose.js';
export { probeHost } from './backends/probe-host.js';
export { UserspaceTcpProxy, type Backend } from './userspace/tcp-proxy.js';
