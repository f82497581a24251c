import { configFromTar } from '@flotilla/plugins';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { ControlError } from '../control/control-error.js';
import type { PluginHost } from './plugin-host.js';

/** A local image as a plugin: its /config.json, read through a container that never starts. */
export async function readImagePluginConfig(host: PluginHost, image: string): Promise<string> {
  try {
    return await host.readImageFile(image, '/config.json', (stream) => configFromTar(stream, `image ${image}`));
  } catch (err) {
    throw new ControlError(GrpcStatus.FAILED_PRECONDITION, `cannot read the plugin config of image ${image}: ${(err as Error).message}`);
  }
}
