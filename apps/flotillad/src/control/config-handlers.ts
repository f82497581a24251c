import {
  newId,
  validateConfigSpec,
  type Config,
  type CreateConfigRequest,
  type GetConfigRequest,
  type ListConfigsResponse,
  type RemoveConfigRequest,
  type RemoveConfigResponse,
} from '@flotilla/api';
import type { Logger } from 'pino';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { SwarmController } from '../swarm/swarm-controller.js';
import { writeStore } from '../manager/store-writer.js';
import { alreadyExists, ControlError } from './control-error.js';
import { findConfig, servicesUsingConfig } from './config-lookup.js';
import { invalidArgument } from './control-error.js';
import { unary } from './unary.js';

/** config create/ls/inspect/rm. A config is immutable: there is no update (rotate by a new name). */
export function configHandlers(swarm: SwarmController, log: Logger) {
  return {
    createConfig: unary(log, 'CreateConfig', async (req: CreateConfigRequest): Promise<Config> => {
      const rt = swarm.requireManager();
      if (!req.spec) throw invalidArgument('a config spec is required');
      const spec = validateConfigSpec(req.spec);
      const name = spec.annotations?.name ?? '';
      const id = newId();
      await writeStore(rt.member, (view, tx) => {
        if (view.configs.byName(name)) throw alreadyExists(`config ${name} already exists`);
        tx.create('config', { id, spec });
      });
      log.info({ configId: id, name, bytes: spec.data.length }, 'config created');
      return findConfig(rt.member.store.view(), id);
    }),
    listConfigs: unary(log, 'ListConfigs', (): ListConfigsResponse => {
      const view = swarm.requireManager().member.store.view();
      // The list leaves the data out (inspect shows it): a list of many large configs stays small.
      return { configs: [...view.configs.all()].map((c) => ({ ...c, spec: { annotations: c.spec?.annotations ?? { name: '', labels: {} }, data: Buffer.alloc(0) } })) };
    }),
    getConfig: unary(log, 'GetConfig', (req: GetConfigRequest): Config => findConfig(swarm.requireManager().member.store.view(), req.config)),
    removeConfig: unary(log, 'RemoveConfig', async (req: RemoveConfigRequest): Promise<RemoveConfigResponse> => {
      const rt = swarm.requireManager();
      const id = findConfig(rt.member.store.view(), req.config).id;
      await writeStore(rt.member, (view, tx) => {
        const config = findConfig(view, id);
        const users = servicesUsingConfig(view, id).map((s) => s.spec?.annotations?.name ?? s.id);
        if (users.length > 0) {
          const name = config.spec?.annotations?.name ?? id;
          throw new ControlError(GrpcStatus.FAILED_PRECONDITION, `config '${name}' is in use by the following service${users.length > 1 ? 's' : ''}: ${users.sort().join(', ')}`);
        }
        tx.delete('config', config);
      });
      log.info({ configId: id }, 'config removed');
      return { id };
    }),
  };
}
