import {
  newId,
  validateSecretSpec,
  type CreateSecretRequest,
  type GetSecretRequest,
  type ListSecretsResponse,
  type RemoveSecretRequest,
  type RemoveSecretResponse,
  type Secret,
} from '@flotilla/api';
import { sealSecretValue } from '@flotilla/ca';
import type { Logger } from 'pino';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { SwarmController } from '../swarm/swarm-controller.js';
import { writeStore } from '../manager/store-writer.js';
import { alreadyExists, ControlError, invalidArgument } from './control-error.js';
import { findSecret, secretView, servicesUsingSecret } from './secret-lookup.js';
import { unary } from './unary.js';
import { upToDateManager } from './up-to-date-manager.js';

/** secret create/ls/inspect/rm. Values go into the store sealed and never come back out here. */
export function secretHandlers(swarm: SwarmController, log: Logger) {
  return {
    createSecret: unary(log, 'CreateSecret', async (req: CreateSecretRequest): Promise<Secret> => {
      const rt = await upToDateManager(swarm);
      if (!req.spec) throw invalidArgument('a secret spec is required');
      const spec = validateSecretSpec(req.spec);
      const name = spec.annotations?.name ?? '';
      const id = newId();
      const sealed = sealSecretValue(rt.secretsKey, id, spec.data);
      await writeStore(rt.member, (view, tx) => {
        if (view.secrets.byName(name)) throw alreadyExists(`secret ${name} already exists`);
        tx.create('secret', { id, spec: { annotations: spec.annotations, data: Buffer.alloc(0) }, sealed, size: spec.data.length });
      });
      log.info({ secretId: id, name }, 'secret created');
      return secretView(findSecret(rt.member.store.view(), id));
    }),
    listSecrets: unary(log, 'ListSecrets', async (): Promise<ListSecretsResponse> => {
      const view = (await upToDateManager(swarm)).member.store.view();
      return { secrets: [...view.secrets.all()].map(secretView) };
    }),
    getSecret: unary(log, 'GetSecret', async (req: GetSecretRequest): Promise<Secret> => secretView(findSecret((await upToDateManager(swarm)).member.store.view(), req.secret))),
    removeSecret: unary(log, 'RemoveSecret', async (req: RemoveSecretRequest): Promise<RemoveSecretResponse> => {
      const rt = await upToDateManager(swarm);
      const id = findSecret(rt.member.store.view(), req.secret).id;
      await writeStore(rt.member, (view, tx) => {
        const secret = findSecret(view, id);
        const users = servicesUsingSecret(view, id).map((s) => s.spec?.annotations?.name ?? s.id);
        if (users.length > 0) {
          const name = secret.spec?.annotations?.name ?? id;
          throw new ControlError(GrpcStatus.FAILED_PRECONDITION, `secret ${name} is in use by service${users.length > 1 ? 's' : ''} ${users.sort().join(', ')}`);
        }
        tx.delete('secret', secret);
      });
      log.info({ secretId: id }, 'secret removed');
      return { id };
    }),
  };
}
