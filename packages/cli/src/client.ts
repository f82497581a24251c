import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import {
  ControlClient,
  type ClusterView,
  type CreateNetworkRequest,
  type CreateServiceRequest,
  type CreateSecretRequest,
  type ListSecretsResponse,
  type RemoveSecretResponse,
  type Secret,
  type InfoResponse,
  type JoinTokensRequest,
  type JoinTokensResponse,
  type ListNodeTasksRequest,
  type ListNetworksResponse,
  type ListNodesResponse,
  type ListServicesResponse,
  type ListTasksRequest,
  type ListTasksResponse,
  type NetworkView,
  type NodeView,
  type RemoveNodeRequest,
  type RemoveNetworkResponse,
  type RemoveNodeResponse,
  type RemoveServiceResponse,
  type ServiceView,
  type SwarmInitRequest,
  type SwarmInitResponse,
  type SwarmJoinRequest,
  type SwarmJoinResponse,
  type UpdateClusterRequest,
  type UpdateNodeRequest,
  type UpdateServiceRequest,
  type VersionResponse,
  type ServiceLogsRequest,
  type ServiceLogsMessage,
  type EventsRequest,
  type EventsMessage,
  type RootCaView,
  type Config,
  type CreateConfigRequest,
  type ListConfigsResponse,
  type RemoveConfigResponse,
  type DeployStackRequest,
  type DeployStackResponse,
  type Plugin,
  type InstallPluginRequest,
  type UpgradePluginRequest,
  type ListPluginsResponse,
  type RemovePluginResponse,
  type PluginPrivilegesResponse,
  type SwarmRestoreResponse,
} from '@flotilla/api';
import { controlStream, type ControlStream } from './control-stream.js';
import { CliError, controlCallError } from './errors.js';
import type { ControlHost } from './host.js';
import type { ControlTls } from './tls-credentials.js';

export const DEFAULT_CALL_TIMEOUT_MS = 10_000;
/** swarm init generates keys and starts nats-server and Raft: give it longer. */
const SWARM_CALL_TIMEOUT_MS = 60_000;
/** Importing a plugin's rootfs and starting it, on top of the plugin's own --timeout. */
const PLUGIN_START_CALL_MS = 30_000;

/** The Control API as promises whose failures are already user-facing CliErrors. */
export interface ControlApi {
  version(): Promise<VersionResponse>;
  info(): Promise<InfoResponse>;
  swarmInit(req: SwarmInitRequest): Promise<SwarmInitResponse>;
  swarmJoin(req: SwarmJoinRequest): Promise<SwarmJoinResponse>;
  swarmLeave(force: boolean): Promise<void>;
  joinTokens(req: JoinTokensRequest): Promise<JoinTokensResponse>;
  updateCluster(req: UpdateClusterRequest): Promise<ClusterView>;
  getRootCa(): Promise<RootCaView>;
  rotateRootCa(): Promise<RootCaView>;
  listNodes(): Promise<ListNodesResponse>;
  getNode(node: string): Promise<NodeView>;
  updateNode(req: UpdateNodeRequest): Promise<NodeView>;
  createService(req: CreateServiceRequest): Promise<ServiceView>;
  listServices(): Promise<ListServicesResponse>;
  getService(service: string): Promise<ServiceView>;
  scaleService(service: string, replicas: number): Promise<ServiceView>;
  removeService(service: string): Promise<RemoveServiceResponse>;
  updateService(req: UpdateServiceRequest): Promise<ServiceView>;
  rollbackService(service: string): Promise<ServiceView>;
  listTasks(req: ListTasksRequest): Promise<ListTasksResponse>;
  listNodeTasks(req: ListNodeTasksRequest): Promise<ListTasksResponse>;
  removeNode(req: RemoveNodeRequest): Promise<RemoveNodeResponse>;
  createNetwork(req: CreateNetworkRequest): Promise<NetworkView>;
  listNetworks(): Promise<ListNetworksResponse>;
  getNetwork(network: string): Promise<NetworkView>;
  removeNetwork(network: string): Promise<RemoveNetworkResponse>;
  createSecret(req: CreateSecretRequest): Promise<Secret>;
  listSecrets(): Promise<ListSecretsResponse>;
  getSecret(secret: string): Promise<Secret>;
  removeSecret(secret: string): Promise<RemoveSecretResponse>;
  createConfig(req: CreateConfigRequest): Promise<Config>;
  listConfigs(): Promise<ListConfigsResponse>;
  getConfig(config: string): Promise<Config>;
  removeConfig(config: string): Promise<RemoveConfigResponse>;
  deployStack(req: DeployStackRequest): Promise<DeployStackResponse>;
  // plugins (issue 17)
  installPlugin(req: InstallPluginRequest): Promise<Plugin>;
  listPlugins(): Promise<ListPluginsResponse>;
  getPlugin(plugin: string): Promise<Plugin>;
  enablePlugin(plugin: string, timeoutMs: number): Promise<Plugin>;
  disablePlugin(plugin: string, force: boolean): Promise<Plugin>;
  removePlugin(plugin: string, force: boolean): Promise<RemovePluginResponse>;
  setPlugin(plugin: string, settings: string[]): Promise<Plugin>;
  upgradePlugin(req: UpgradePluginRequest): Promise<Plugin>;
  pluginPrivileges(image: string): Promise<PluginPrivilegesResponse>;
  /** service logs: streams until every log ended (or, following, until cancelled). */
  serviceLogs(req: ServiceLogsRequest, onMessage: (m: ServiceLogsMessage) => void): ControlStream;
  /** events: streams store changes until --until or until cancelled. */
  events(req: EventsRequest, onMessage: (m: EventsMessage) => void): ControlStream;
  /** swarm backup: the backup file's pieces, in order, until it ends. */
  swarmBackup(onPiece: (data: Uint8Array) => void): ControlStream;
  /** swarm restore: sends a backup file to a daemon in no swarm, which comes back as its manager. */
  swarmRestore(file: Uint8Array): Promise<SwarmRestoreResponse>;
  close(): void;
}

/** Pieces a backup file travels in (each one gRPC message, well under its 4 MiB limit). */
const BACKUP_PIECE_BYTES = 1024 * 1024;

type ClientStreaming<Res> = (
  metadata: Metadata,
  options: { deadline: Date },
  callback: (error: ServiceError | null, response: Res) => void,
) => { write(message: unknown): boolean; end(): void };

type Unary<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: { deadline: Date },
  callback: (error: ServiceError | null, response: Res) => void,
) => unknown;

/**
 * `tls` is required for a tcp:// host (see loadControlTls); a unix socket is dialled in plaintext
 * because its 0600 mode guards it the way docker.sock is guarded.
 */
export function connectControl(host: ControlHost, timeoutMs: number = DEFAULT_CALL_TIMEOUT_MS, tls?: ControlTls): ControlApi {
  if (host.transport === 'tcp' && !tls) throw new CliError(`refusing to dial ${host.url} without TLS`);
  const client = host.transport === 'tcp' && tls ? new ControlClient(host.target, tls.credentials, tls.options) : new ControlClient(host.target, credentials.createInsecure());
  const call = <Req, Res>(rpc: string, method: (...args: never[]) => unknown, request: Req, ms = timeoutMs): Promise<Res> =>
    new Promise((resolve, reject) => {
      (method as unknown as Unary<Req, Res>).call(client, request, new Metadata(), { deadline: new Date(Date.now() + ms) }, (err, response) =>
        err ? reject(controlCallError(err, host.url, rpc, ms)) : resolve(response),
      );
    });
  return {
    version: () => call('Version', client.version, {}),
    info: () => call('Info', client.info, {}),
    swarmInit: (req) => call('SwarmInit', client.swarmInit, req, SWARM_CALL_TIMEOUT_MS),
    swarmJoin: (req) => call('SwarmJoin', client.swarmJoin, req, SWARM_CALL_TIMEOUT_MS),
    swarmLeave: (force) => call<object, object>('SwarmLeave', client.swarmLeave, { force }, SWARM_CALL_TIMEOUT_MS).then(() => undefined),
    joinTokens: (req) => call('JoinTokens', client.joinTokens, req),
    updateCluster: (req) => call('UpdateCluster', client.updateCluster, req),
    getRootCa: () => call('GetRootCa', client.getRootCa, {}),
    // Generating the new root's key takes a moment on a loaded manager.
    rotateRootCa: () => call('RotateRootCa', client.rotateRootCa, {}, SWARM_CALL_TIMEOUT_MS),
    listNodes: () => call('ListNodes', client.listNodes, {}),
    getNode: (node) => call('GetNode', client.getNode, { node }),
    updateNode: (req) => call('UpdateNode', client.updateNode, req),
    createService: (req) => call('CreateService', client.createService, req),
    listServices: () => call('ListServices', client.listServices, {}),
    getService: (service) => call('GetService', client.getService, { service }),
    scaleService: (service, replicas) => call('ScaleService', client.scaleService, { service, replicas }),
    removeService: (service) => call('RemoveService', client.removeService, { service }),
    updateService: (req) => call('UpdateService', client.updateService, req),
    rollbackService: (service) => call('RollbackService', client.rollbackService, { service }),
    listTasks: (req) => call('ListTasks', client.listTasks, req),
    listNodeTasks: (req) => call('ListNodeTasks', client.listNodeTasks, req),
    removeNode: (req) => call('RemoveNode', client.removeNode, req),
    createNetwork: (req) => call('CreateNetwork', client.createNetwork, req),
    listNetworks: () => call('ListNetworks', client.listNetworks, {}),
    getNetwork: (network) => call('GetNetwork', client.getNetwork, { network }),
    removeNetwork: (network) => call('RemoveNetwork', client.removeNetwork, { network }),
    createSecret: (req) => call('CreateSecret', client.createSecret, req),
    listSecrets: () => call('ListSecrets', client.listSecrets, {}),
    getSecret: (secret) => call('GetSecret', client.getSecret, { secret }),
    removeSecret: (secret) => call('RemoveSecret', client.removeSecret, { secret }),
    createConfig: (req) => call('CreateConfig', client.createConfig, req),
    listConfigs: () => call('ListConfigs', client.listConfigs, {}),
    getConfig: (config) => call('GetConfig', client.getConfig, { config }),
    removeConfig: (config) => call('RemoveConfig', client.removeConfig, { config }),
    // A stack write checks and seals everything at once: give it longer than one object's call.
    deployStack: (req) => call('DeployStack', client.deployStack, req, SWARM_CALL_TIMEOUT_MS),
    // Enabling starts the plugin container on the manager first: give it its --timeout and more.
    installPlugin: (req) => call('InstallPlugin', client.installPlugin, req, PLUGIN_START_CALL_MS + req.timeoutMs),
    listPlugins: () => call('ListPlugins', client.listPlugins, {}),
    getPlugin: (plugin) => call('GetPlugin', client.getPlugin, { plugin }),
    enablePlugin: (plugin, ms) => call('EnablePlugin', client.enablePlugin, { plugin, timeoutMs: ms }, PLUGIN_START_CALL_MS + ms),
    disablePlugin: (plugin, force) => call('DisablePlugin', client.disablePlugin, { plugin, force }),
    removePlugin: (plugin, force) => call('RemovePlugin', client.removePlugin, { plugin, force }),
    setPlugin: (plugin, settings) => call('SetPlugin', client.setPlugin, { plugin, settings }),
    upgradePlugin: (req) => call('UpgradePlugin', client.upgradePlugin, req),
    pluginPrivileges: (image) => call('PluginPrivileges', client.pluginPrivileges, { image }),
    serviceLogs: (req, onMessage) => controlStream(client, client.serviceLogs, 'ServiceLogs', host.url, req, onMessage),
    events: (req, onMessage) => controlStream(client, client.events, 'Events', host.url, req, onMessage),
    swarmBackup: (onPiece) => controlStream(client, client.swarmBackup, 'SwarmBackup', host.url, {}, (m: { data: Uint8Array }) => onPiece(m.data)),
    swarmRestore: (file) =>
      new Promise((resolve, reject) => {
        const deadline = new Date(Date.now() + SWARM_CALL_TIMEOUT_MS);
        const upload = (client.swarmRestore as unknown as ClientStreaming<SwarmRestoreResponse>).call(client, new Metadata(), { deadline }, (err, response) =>
          err ? reject(controlCallError(err, host.url, 'SwarmRestore', SWARM_CALL_TIMEOUT_MS)) : resolve(response),
        );
        for (let at = 0; at < file.length; at += BACKUP_PIECE_BYTES) upload.write({ data: Buffer.from(file.subarray(at, at + BACKUP_PIECE_BYTES)) });
        upload.end();
      }),
    close: () => client.close(),
  };
}
