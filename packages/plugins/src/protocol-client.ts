// Docker's plugin protocol: JSON over HTTP POST on the plugin's unix socket, one endpoint per
// method (/Plugin.Activate, /AuthZPlugin.AuthZReq, /VolumeDriver.Mount, …).
import { request } from 'node:http';

export const PLUGIN_MEDIA_TYPE = 'application/vnd.docker.plugins.v1.2+json';
/** A plugin's answer larger than this is garbage, not an answer. */
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

export type PluginFailureKind = 'unreachable' | 'timeout' | 'status' | 'garbage' | 'plugin-error';

/** A call that did not produce a usable answer; the message names the plugin and the method. */
export class PluginCallError extends Error {
  override readonly name = 'PluginCallError';
  constructor(
    readonly plugin: string,
    readonly method: string,
    readonly kind: PluginFailureKind,
    detail: string,
  ) {
    super(`plugin ${plugin} failed ${method}: ${detail}`);
  }
}

export interface PluginClientOptions {
  /** Plugin name for error messages. */
  name: string;
  socketPath: string;
  /** Per call; default 5 s. */
  timeoutMs?: number;
}

export class PluginClient {
  readonly name: string;
  readonly socketPath: string;
  private readonly timeoutMs: number;

  constructor(opts: PluginClientOptions) {
    this.name = opts.name;
    this.socketPath = opts.socketPath;
    this.timeoutMs = opts.timeoutMs ?? 5_000;
  }

  /**
   * POSTs `body` to /<method> and returns the decoded JSON object. A non-object answer, a
   * non-2xx status, a timeout or a broken connection is a PluginCallError; an answer with a
   * non-empty "Err" is a PluginCallError of kind plugin-error carrying the plugin's words.
   */
  async call(method: string, body: unknown, timeoutMs = this.timeoutMs): Promise<Record<string, unknown>> {
    const payload = Buffer.from(JSON.stringify(body ?? {}));
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        {
          socketPath: this.socketPath,
          method: 'POST',
          path: `/${method}`,
          headers: { Host: 'plugin', Accept: PLUGIN_MEDIA_TYPE, 'Content-Type': PLUGIN_MEDIA_TYPE, 'Content-Length': payload.length },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_ANSWER_BYTES) {
              req.destroy(new PluginCallError(this.name, method, 'garbage', `answer larger than ${MAX_ANSWER_BYTES} bytes`));
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      const timer = setTimeout(() => req.destroy(new PluginCallError(this.name, method, 'timeout', `no answer within ${timeoutMs} ms`)), timeoutMs);
      req.on('close', () => clearTimeout(timer));
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err instanceof PluginCallError ? err : new PluginCallError(this.name, method, 'unreachable', `${(err as Error).message} (socket ${this.socketPath})`));
      });
      req.end(payload);
    });
    let json: unknown;
    try {
      json = text.trim() === '' ? {} : JSON.parse(text);
    } catch {
      throw new PluginCallError(this.name, method, status >= 200 && status < 300 ? 'garbage' : 'status', `answered ${status} with something that is not JSON: ${JSON.stringify(text.slice(0, 200))}`);
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new PluginCallError(this.name, method, 'garbage', `answered ${status} with JSON that is not an object`);
    }
    const answer = json as Record<string, unknown>;
    const err = answer['Err'];
    if (typeof err === 'string' && err !== '') throw new PluginCallError(this.name, method, 'plugin-error', err);
    if (status < 200 || status >= 300) throw new PluginCallError(this.name, method, 'status', `answered HTTP ${status}`);
    return answer;
  }

  /** /Plugin.Activate: the interfaces the plugin implements ("authz", "VolumeDriver", …). */
  async activate(timeoutMs?: number): Promise<string[]> {
    const answer = await this.call('Plugin.Activate', {}, timeoutMs);
    const impl = answer['Implements'];
    if (!Array.isArray(impl) || impl.some((i) => typeof i !== 'string')) {
      throw new PluginCallError(this.name, 'Plugin.Activate', 'garbage', 'the answer has no Implements list');
    }
    return impl as string[];
  }
}
