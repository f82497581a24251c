// Parsing one YAML file with the position of every key, so a problem found later (a wrong type,
// an unknown key, a variable that is not set) names the file and line it came from.
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode, type ScalarTag } from 'yaml';
import { StackFileError, type Position } from './errors.js';

export type Path = ReadonlyArray<string | number>;

/** `services.web.ports[0]`: how a path reads in messages. */
export function pathText(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

/** A parsed file: its plain value (anchors and merge keys resolved) and where each path is. */
export interface SourceFile {
  file: string;
  value: unknown;
  positions: Map<string, Position>;
}

/**
 * YAML 1.1's octal integers (`mode: 0440`), which compose files rely on for file modes and docker's
 * YAML library reads as octal; YAML 1.2's core schema would read 440.
 */
const OCTAL_1_1: ScalarTag = {
  identify: (v) => typeof v === 'number',
  default: true,
  tag: 'tag:yaml.org,2002:int',
  format: 'OCT',
  test: /^0[0-7]+$/,
  resolve: (text) => parseInt(text, 8),
};

/** Parses YAML (JSON is YAML too). Throws StackFileError at the first syntax error, with its line. */
export function parseSource(text: string, file: string): SourceFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, merge: true, uniqueKeys: true, prettyErrors: false, strict: true, customTags: (tags) => [OCTAL_1_1, ...tags] });
  const first = doc.errors[0];
  if (first) {
    const line = first.linePos?.[0]?.line ?? lineCounter.linePos(first.pos[0]).line;
    const column = first.linePos?.[0]?.col ?? 1;
    throw new StackFileError('', `YAML syntax error: ${first.message.split('\n')[0]}`, { file, line, column });
  }
  const positions = new Map<string, Position>();
  const at = (offset: number | undefined): Position => {
    const lp = lineCounter.linePos(offset ?? 0);
    return { file, line: lp.line, column: lp.col };
  };
  walk(doc, doc.contents as YamlNode | null, [], positions, at, new Set(), false);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    throw new StackFileError('', `YAML error: ${(err as Error).message}`, { file, line: 1, column: 1 });
  }
  return { file, value: value ?? {}, positions };
}

function walk(
  doc: Document,
  node: YamlNode | null | undefined,
  path: Array<string | number>,
  positions: Map<string, Position>,
  at: (offset: number | undefined) => Position,
  seen: Set<YamlNode>,
  weak: boolean,
): void {
  const put = (key: string, pos: Position): void => {
    if (!weak || !positions.has(key)) positions.set(key, pos);
  };
  if (!node) return;
  if (isAlias(node)) {
    const target = node.resolve(doc) as YamlNode | undefined;
    if (!target || seen.has(target)) return;
    seen.add(target);
    walk(doc, target, path, positions, at, seen, weak);
    seen.delete(target);
    return;
  }
  if (isMap(node)) {
    for (const pair of node.items) {
      const keyNode = pair.key as YamlNode | null;
      const key = isScalar(keyNode) ? keyNode.value : keyNode;
      if (key === '<<' || (typeof key === 'symbol')) {
        // Merge key: the merged mapping's entries are placed where they are written, never over this mapping's own keys.
        const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
        for (const src of sources) walk(doc, src as YamlNode, path, positions, at, seen, true);
        continue;
      }
      const child = [...path, String(key)];
      const text = pathText(child);
      const keyOffset = isScalar(keyNode) ? keyNode.range?.[0] : undefined;
      put(text, at(keyOffset));
      walk(doc, pair.value as YamlNode, child, positions, at, seen, weak);
    }
    return;
  }
  if (isSeq(node)) {
    node.items.forEach((item, i) => {
      const child = [...path, i];
      const range = (item as YamlNode | null)?.range;
      put(pathText(child), at(range?.[0]));
      walk(doc, item as YamlNode, child, positions, at, seen, weak);
    });
  }
}

/** The position of `path`, or of its nearest parent that has one. */
export function positionOf(positions: ReadonlyMap<string, Position>, path: Path): Position | undefined {
  for (let n = path.length; n >= 0; n--) {
    const p = positions.get(pathText(path.slice(0, n)));
    if (p) return p;
  }
  return undefined;
}
