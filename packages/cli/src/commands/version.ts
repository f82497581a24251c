import type { VersionResponse } from '@flotilla/api';
import type { ClientFacts, CommandContext } from '../context.js';
import { renderAlignedFields } from '../output/fields.js';

/** `flotilla version`: the client part first, so it shows even when the daemon is down. */
export async function versionCommand(ctx: CommandContext): Promise<void> {
  ctx.out(formatClientVersion(ctx.client, ctx.host.url));
  const api = ctx.connect();
  try {
    ctx.out('\n' + formatServerVersion(await api.version()));
  } finally {
    api.close();
  }
}

export function formatClientVersion(client: ClientFacts, host: string): string {
  return (
    'Client: Flotilla\n' +
    renderAlignedFields(
      [
        ['Version', client.version],
        ['Node.js version', client.runtimeVersion],
        ['OS/Arch', `${client.os}/${client.arch}`],
        ['Host', host],
      ],
      ' ',
    )
  );
}

export function formatServerVersion(server: VersionResponse): string {
  return (
    'Server: Flotilla daemon\n' +
    renderAlignedFields(
      [
        ['Version', server.version],
        ['Node.js version', server.runtimeVersion],
        ['OS/Arch', `${server.os}/${server.arch}`],
        ['Docker Engine', server.engineVersion || 'unreachable'],
      ],
      ' ',
    )
  );
}
