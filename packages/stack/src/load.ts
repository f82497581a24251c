// The whole front half of `stack deploy -c` and `stack config`: read each file with positions,
// substitute variables (environment over the .env file beside the first file), check each file
// against the schema of its format version, merge them in order, and normalise.
import { posix } from 'node:path';
import { parseEnvFile } from './env-file.js';
import { StackFileError, StackFileErrors, type Position } from './errors.js';
import { interpolateTree, type Environment } from './interpolate.js';
import { mergeFiles } from './merge.js';
import type { ComposeModel } from './model.js';
import { normalizeCompose } from './normalize.js';
import { parseSource, pathText, positionOf, type Path, type SourceFile } from './source.js';
import { validateCompose } from './validate.js';

export interface ComposeInput {
  /** The name shown in errors (the path given with -c, or "-" for standard input). */
  file: string;
  text: string;
}

export interface LoadOptions {
  /** Stack name: objects become <name>_<key>. */
  name: string;
  /** Directory relative paths (env_file, file:, bind sources, .env) are taken from: the first file's. */
  baseDir: string;
  /** The caller's environment; it wins over the .env file. */
  env: Environment;
  /** Reads a text file (.env, env_file); throws an error with code ENOENT when it does not exist. */
  readText(path: string): string;
}

export interface LoadedCompose {
  model: ComposeModel;
  /** Service keys docker's stack deploy ignores ("Ignoring unsupported options: build"). */
  unsupported: string[];
  deprecated: string[];
  /** Where a key path was written (the latest file that has it), for problems found later by the manager. */
  positionOf(path: Path): Position | undefined;
}

/** Reads `.env` beside the first file, if there is one; the caller's variables win. */
export function stackEnvironment(o: Pick<LoadOptions, 'baseDir' | 'env' | 'readText'>): Environment {
  const path = posix.join(o.baseDir, '.env');
  let text: string;
  try {
    text = o.readText(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return o.env;
    throw new StackFileErrors([new StackFileError('', `reading ${path}: ${(err as Error).message}`)]);
  }
  let pairs: Array<[string, string | undefined]>;
  try {
    pairs = parseEnvFile(text);
  } catch (err) {
    throw new StackFileErrors([new StackFileError('', `${path}: ${(err as Error).message}`)]);
  }
  const fromFile = Object.fromEntries(pairs.filter((p): p is [string, string] => p[1] !== undefined));
  return { ...fromFile, ...o.env };
}

export function loadCompose(inputs: readonly ComposeInput[], o: LoadOptions): LoadedCompose {
  if (inputs.length === 0) throw new StackFileErrors([new StackFileError('', 'no compose file given')]);
  const env = stackEnvironment(o);
  const sources: SourceFile[] = [];
  const trees: unknown[] = [];
  const problems: StackFileError[] = [];
  const unsupported = new Set<string>();
  const deprecated = new Set<string>();
  for (const input of inputs) {
    let src: SourceFile;
    try {
      src = parseSource(input.text, input.file);
    } catch (err) {
      if (err instanceof StackFileError) throw new StackFileErrors([err]);
      throw err;
    }
    const where = (path: Path, reason: string) => new StackFileError(pathText(path), reason, positionOf(src.positions, path));
    if (src.value === null || typeof src.value !== 'object' || Array.isArray(src.value)) {
      throw new StackFileErrors([where([], 'a compose file must be a mapping (services:, networks:, ...)')]);
    }
    let tree: unknown;
    try {
      tree = interpolateTree(src.value, env, where);
    } catch (err) {
      if (err instanceof StackFileError) throw new StackFileErrors([err]);
      throw err;
    }
    const checked = validateCompose(tree, where);
    problems.push(...checked.problems);
    checked.unsupported.forEach((k) => unsupported.add(k));
    checked.deprecated.forEach((k) => deprecated.add(k));
    sources.push(src);
    trees.push(tree);
  }
  if (problems.length > 0) throw new StackFileErrors(problems);

  const merged = mergeFiles(trees);
  if (merged['services'] === undefined || Object.keys(merged['services'] as object).length === 0) {
    throw new StackFileErrors([new StackFileError('services', 'the stack has no services', positionIn(sources, []))]);
  }
  const { model, problems: found } = normalizeCompose(merged, {
    name: o.name,
    baseDir: o.baseDir,
    env,
    readText: o.readText,
    where: (path, reason) => new StackFileError(pathText(path), reason, positionIn(sources, path)),
  });
  if (found.length > 0) throw new StackFileErrors(found);
  return { model, unsupported: [...unsupported], deprecated: [...deprecated], positionOf: (path) => positionIn(sources, path) };
}

/** The latest file that mentions the path (or its nearest parent) decides the position shown. */
function positionIn(sources: readonly SourceFile[], path: Path): Position | undefined {
  for (let n = path.length; n >= 0; n--) {
    const key = pathText(path.slice(0, n));
    for (let i = sources.length - 1; i >= 0; i--) {
      const p = sources[i]!.positions.get(key);
      if (p) return p;
    }
  }
  return positionOf(sources[0]?.positions ?? new Map(), path);
}
