// Plugin references as Docker writes them: NAME[:TAG], the tag "latest" when none is given.

const NAME = /^[a-z0-9][a-z0-9._/-]*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$/;

export class PluginNameError extends Error {
  override readonly name = 'PluginNameError';
}

/** "no-remove" → "no-remove:latest"; refuses what is not a plugin reference. */
export function normalizePluginName(raw: string): string {
  if (!NAME.test(raw) || raw.length > 255) throw new PluginNameError(`invalid plugin name ${JSON.stringify(raw)}: use lowercase letters, digits, . _ / - and an optional :tag`);
  const lastSlash = raw.lastIndexOf('/');
  return raw.indexOf(':', lastSlash) >= 0 ? raw : `${raw}:latest`;
}

/** The name without ":latest", for matching what a user typed. */
export const shortPluginName = (name: string): string => name.replace(/:latest$/, '');
