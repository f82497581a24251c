import { build, type Plugin } from 'esbuild';

/**
 * Bundles flotillad (tsc's dist/main.js and every module it reaches: the workspace packages,
 * grpc-js, dockerode, pino, nats ...) into one ES module with the version stamped in.
 * Left out: native addons. The only ones in reach are ssh2's optional crypto binding and
 * cpu-features (dockerode → docker-modem → ssh2, for ssh:// Docker hosts, which flotillad does not
 * offer); ssh2 loads them inside try/catch and runs without them, as it does in the workspace,
 * where their build scripts are denied (pnpm-workspace.yaml).
 */
export async function bundleDaemon(entry: string, outfile: string, version: string): Promise<void> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // CommonJS dependencies call require() and read __dirname; an ES module has neither.
    banner: {
      js: [
        "import { createRequire as __flotillaRequire } from 'node:module';",
        "import { fileURLToPath as __flotillaPath } from 'node:url';",
        "import { dirname as __flotillaDirname } from 'node:path';",
        'const require = __flotillaRequire(import.meta.url);',
        'const __filename = __flotillaPath(import.meta.url);',
        'const __dirname = __flotillaDirname(__filename);',
      ].join(' '),
    },
    define: { __FLOTILLA_VERSION__: JSON.stringify(version) },
    plugins: [nativeAddonsLeftOut],
    legalComments: 'none',
    logLevel: 'error',
  });
}

const nativeAddonsLeftOut: Plugin = {
  name: 'native-addons-left-out',
  setup(b) {
    b.onResolve({ filter: /\.node$/ }, (args) => ({ path: args.path, namespace: 'native-addon' }));
    b.onLoad({ filter: /.*/, namespace: 'native-addon' }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`native addon ${args.path} is not part of the flotillad bundle`)});`,
      loader: 'js',
    }));
  },
};
