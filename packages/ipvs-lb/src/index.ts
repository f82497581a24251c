export { chooseBackend, type BackendKind, type BackendChoice, type HostCapabilities } from './backends/choose.js';
export { probeHost } from './backends/probe-host.js';
export { UserspaceTcpProxy, type Backend } from './userspace/tcp-proxy.js';
export { vipKey, type Vip, type BackendAddr, type LoadBalancer } from './lb/types.js';
export { validateVip, validateBackends } from './lb/validate.js';
export { localRunner, type CommandRunner } from './exec/runner.js';
export { IptablesBackend, type IptablesBackendOptions } from './iptables/backend.js';
export { renderRestore, serviceRules, serviceChain, chainNames, DEFAULT_CHAIN_PREFIX, type DesiredService } from './iptables/rules.js';
export { parseNatSave, type ObservedNat } from './iptables/observed.js';
