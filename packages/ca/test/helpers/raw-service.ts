import { makeGenericClientConstructor, Metadata, ServiceDefinition, ServiceError, ChannelCredentials, ChannelOptions } from '@grpc/grpc-js';

/** A unary method that moves raw bytes: enough to stand in for another service on the CA server. */
export const rawMethod = (path: string) => ({
  path,
  requestStream: false,
  responseStream: false,
  requestSerialize: (value: Buffer) => value,
  requestDeserialize: (bytes: Buffer) => bytes,
  responseSerialize: (value: Buffer) => value,
  responseDeserialize: (bytes: Buffer) => bytes,
});

/** Calls `method` of a raw-bytes service once over its own channel; rejects with the grpc-js ServiceError. */
export function callRaw(
  definition: ServiceDefinition,
  method: string,
  target: { addr: string; credentials: ChannelCredentials; options?: ChannelOptions },
  request: Buffer = Buffer.alloc(0),
): Promise<Buffer> {
  const Client = makeGenericClientConstructor(definition, 'RawService');
  const client = new Client(target.addr, target.credentials, target.options);
  const call = (client as unknown as Record<string, (req: Buffer, md: Metadata, cb: (err: ServiceError | null, res: Buffer) => void) => void>)[method];
  if (!call) throw new Error(`the raw service has no method ${method}`);
  return new Promise<Buffer>((resolve, reject) => {
    call.call(client, request, new Metadata(), (err, res) => (err ? reject(err) : resolve(res)));
  }).finally(() => client.close());
}
