export { goTime, durationNs, goMap, opt } from './go-values.js';
export {
  dockerService,
  dockerServiceSpec,
  dockerTaskSpec,
  dockerContainerSpec,
  dockerEndpoint,
  dockerEndpointSpec,
  dockerPort,
  dockerMount,
  dockerUpdateConfig,
  dockerUpdateStatus,
  protocolWord,
  publishModeWord,
  endpointModeWord,
  restartConditionWord,
  updateStateWord,
  type Json,
  type ServiceCounts,
} from './service.js';
export { dockerTask, taskStateWord } from './task.js';
export { dockerNetwork, dockerNetworkInspect, VXLAN_OPTION, type NetworkInspectOptions } from './swarm-network.js';
export { dockerNode, tlsInfoFromRootPem, nodeRoleWord, availabilityWord, nodeStateWord, type TlsInfo } from './node.js';
export { dockerSecret, dockerConfig } from './secret-config.js';
export { dockerPlugin, type EffectivePluginSettings } from './plugin.js';
export {
  FILTER_KEYS,
  FilterError,
  checkFilters,
  filtersFor,
  matchConfig,
  matchLabels,
  matchNetwork,
  matchNode,
  matchPlugin,
  matchSecret,
  matchService,
  matchTask,
  parseFilters,
  pluginCapabilities,
  serviceModeWord,
  type FilterKind,
  type Filters,
} from './filters.js';
