// Persistent (immutable) string-keyed map: a compressed hash array mapped prefix trie (CHAMP)
// with path copying. Every write returns a new map sharing all untouched nodes with the old
// one, so a reader holding an old root keeps a consistent version for free and a failed
// transaction is rolled back by simply dropping its new root.
//
// Layout: a node's `content` holds its key/value pairs inline ([k0, v0, k1, v1, ...]) followed
// by its child nodes in reverse order; `dataMap` and `nodeMap` say which 5-bit hash fragments
// are which. Inline pairs avoid one leaf object per entry (the store keeps seven entries per
// task across its indexes, so this is most of its memory), and deletions pull lone entries back
// up so every key set has exactly one shape.

const BITS = 5;
const MASK = 31;

class Node {
  constructor(
    readonly dataMap: number,
    readonly nodeMap: number,
    readonly content: readonly unknown[],
  ) {}
}

/** Keys whose full 32-bit hashes are equal. */
class Collision {
  constructor(
    readonly hash: number,
    readonly keys: readonly string[],
    readonly values: readonly unknown[],
  ) {}
}

type Child = Node | Collision;

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** FNV-1a over UTF-16 code units. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const bitFor = (hash: number, shift: number): number => 1 << ((hash >>> shift) & MASK);
const dataIndex = (map: number, bit: number): number => popcount(map & (bit - 1));

function childAt(node: Node, bit: number): Child {
  return node.content[node.content.length - 1 - dataIndex(node.nodeMap, bit)] as Child;
}

function lookup(root: Node, hash: number, key: string): unknown {
  let node: Child = root;
  let shift = 0;
  for (;;) {
    if (node instanceof Collision) {
      const i = node.keys.indexOf(key);
      return i < 0 ? undefined : node.values[i];
    }
    const bit = bitFor(hash, shift);
    if ((node.dataMap & bit) !== 0) {
      const i = 2 * dataIndex(node.dataMap, bit);
      return node.content[i] === key ? node.content[i + 1] : undefined;
    }
    if ((node.nodeMap & bit) === 0) return undefined;
    node = childAt(node, bit);
    shift += BITS;
  }
}

/** A node at `shift` holding two entries with different keys. */
function pair(k1: string, v1: unknown, h1: number, k2: string, v2: unknown, h2: number, shift: number): Child {
  if (h1 === h2) return new Collision(h1, [k1, k2], [v1, v2]);
  const f1 = (h1 >>> shift) & MASK;
  const f2 = (h2 >>> shift) & MASK;
  if (f1 === f2) return new Node(0, 1 << f1, [pair(k1, v1, h1, k2, v2, h2, shift + BITS)]);
  // Order by fragment, not by bit value: 1 << 31 is negative.
  return new Node((1 << f1) | (1 << f2), 0, f1 < f2 ? [k1, v1, k2, v2] : [k2, v2, k1, v1]);
}

interface Change {
  sizeDelta: number;
}

// Copies are built at their exact length: splice() would leave growth slack in every node.

function withPairInserted(c: readonly unknown[], at: number, key: string, value: unknown): unknown[] {
  const out = new Array<unknown>(c.length + 2);
  for (let i = 0; i < at; i++) out[i] = c[i];
  out[at] = key;
  out[at + 1] = value;
  for (let i = at; i < c.length; i++) out[i + 2] = c[i];
  return out;
}

function withReplaced(c: readonly unknown[], at: number, value: unknown): unknown[] {
  const out = c.slice();
  out[at] = value;
  return out;
}

/** Removes the pair at `pairAt` and inserts `child` at content position `childAt` (counted after the removal). */
function pairToChild(c: readonly unknown[], pairAt: number, childPos: number, child: Child): unknown[] {
  const out = new Array<unknown>(c.length - 1);
  let o = 0;
  for (let i = 0; i < c.length; i++) {
    if (i === pairAt || i === pairAt + 1) continue;
    if (o === childPos) out[o++] = child;
    out[o++] = c[i];
  }
  if (o === childPos) out[o++] = child;
  return out;
}

/** Removes the child at content position `childPos` and inserts a pair at `pairAt`. */
function childToPair(c: readonly unknown[], childPos: number, pairAt: number, key: string, value: unknown): unknown[] {
  const out = new Array<unknown>(c.length + 1);
  let o = 0;
  for (let i = 0; i < c.length; i++) {
    if (o === pairAt) {
      out[o++] = key;
      out[o++] = value;
    }
    if (i === childPos) continue;
    out[o++] = c[i];
  }
  if (o === pairAt) {
    out[o++] = key;
    out[o++] = value;
  }
  return out;
}

function without(c: readonly unknown[], at: number, count: number): unknown[] {
  const out = new Array<unknown>(c.length - count);
  for (let i = 0, o = 0; i < c.length; i++) if (i < at || i >= at + count) out[o++] = c[i];
  return out;
}

function insert(node: Child, key: string, hash: number, value: unknown, shift: number, change: Change): Child {
  if (node instanceof Collision) {
    if (node.hash !== hash) {
      // Push the collision one level down next to the new key; their fragments differ somewhere.
      const wrapped = new Node(0, bitFor(node.hash, shift), [node]);
      return insert(wrapped, key, hash, value, shift, change);
    }
    const i = node.keys.indexOf(key);
    if (i >= 0) {
      if (node.values[i] === value) return node;
      return new Collision(hash, node.keys, withReplaced(node.values, i, value));
    }
    change.sizeDelta = 1;
    return new Collision(hash, [...node.keys, key], [...node.values, value]);
  }
  const bit = bitFor(hash, shift);
  if ((node.dataMap & bit) !== 0) {
    const at = 2 * dataIndex(node.dataMap, bit);
    const k = node.content[at] as string;
    if (k === key) {
      if (node.content[at + 1] === value) return node;
      return new Node(node.dataMap, node.nodeMap, withReplaced(node.content, at + 1, value));
    }
    change.sizeDelta = 1;
    const sub = pair(k, node.content[at + 1], hashString(k), key, value, hash, shift + BITS);
    const nodeMap = node.nodeMap | bit;
    const childPos = node.content.length - 2 - dataIndex(nodeMap, bit);
    return new Node(node.dataMap ^ bit, nodeMap, pairToChild(node.content, at, childPos, sub));
  }
  if ((node.nodeMap & bit) !== 0) {
    const pos = node.content.length - 1 - dataIndex(node.nodeMap, bit);
    const child = node.content[pos] as Child;
    const next = insert(child, key, hash, value, shift + BITS, change);
    if (next === child) return node;
    return new Node(node.dataMap, node.nodeMap, withReplaced(node.content, pos, next));
  }
  change.sizeDelta = 1;
  return new Node(node.dataMap | bit, node.nodeMap, withPairInserted(node.content, 2 * dataIndex(node.dataMap, bit), key, value));
}

/** A child holding exactly one entry, which the parent should keep inline instead. */
function loneEntry(child: Child): [string, unknown] | undefined {
  if (child instanceof Collision) return child.keys.length === 1 ? [child.keys[0]!, child.values[0]] : undefined;
  if (child.nodeMap === 0 && popcount(child.dataMap) === 1) return [child.content[0] as string, child.content[1]];
  return undefined;
}

function remove(node: Child, key: string, hash: number, shift: number, change: Change): Child {
  if (node instanceof Collision) {
    const i = node.keys.indexOf(key);
    if (i < 0) return node;
    change.sizeDelta = -1;
    return new Collision(hash, without(node.keys, i, 1) as string[], without(node.values, i, 1));
  }
  const bit = bitFor(hash, shift);
  if ((node.dataMap & bit) !== 0) {
    const at = 2 * dataIndex(node.dataMap, bit);
    if (node.content[at] !== key) return node;
    change.sizeDelta = -1;
    return new Node(node.dataMap ^ bit, node.nodeMap, without(node.content, at, 2));
  }
  if ((node.nodeMap & bit) === 0) return node;
  const pos = node.content.length - 1 - dataIndex(node.nodeMap, bit);
  const child = node.content[pos] as Child;
  const next = remove(child, key, hash, shift + BITS, change);
  if (next === child) return node;
  const lone = loneEntry(next);
  if (lone !== undefined) {
    const dataMap = node.dataMap | bit;
    return new Node(dataMap, node.nodeMap ^ bit, childToPair(node.content, pos, 2 * dataIndex(dataMap, bit), lone[0], lone[1]));
  }
  return new Node(node.dataMap, node.nodeMap, withReplaced(node.content, pos, next));
}

function collectInto<V>(node: Child, out: V[]): void {
  if (node instanceof Collision) {
    for (const v of node.values) out.push(v as V);
    return;
  }
  const c = node.content;
  const pairs = 2 * popcount(node.dataMap);
  for (let i = 1; i < pairs; i += 2) out.push(c[i] as V);
  for (let i = pairs; i < c.length; i++) collectInto(c[i] as Child, out);
}

function* walk(node: Child): Generator<[string, unknown]> {
  if (node instanceof Collision) {
    for (let i = 0; i < node.keys.length; i++) yield [node.keys[i]!, node.values[i]];
    return;
  }
  const c = node.content;
  const pairs = 2 * popcount(node.dataMap);
  for (let i = 0; i < pairs; i += 2) yield [c[i] as string, c[i + 1]];
  for (let i = pairs; i < c.length; i++) yield* walk(c[i] as Child);
}

const EMPTY_NODE = new Node(0, 0, []);

export class PMap<V> {
  private static readonly EMPTY = new PMap<never>(EMPTY_NODE, 0);

  private constructor(
    private readonly root: Node,
    readonly size: number,
  ) {}

  static empty<V>(): PMap<V> {
    return PMap.EMPTY as PMap<V>;
  }

  get(key: string): V | undefined {
    return lookup(this.root, hashString(key), key) as V | undefined;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  set(key: string, value: V): PMap<V> {
    const change: Change = { sizeDelta: 0 };
    // The root is a Node at shift 0; insert only returns a Collision for a Collision input.
    const root = insert(this.root, key, hashString(key), value, 0, change) as Node;
    return root === this.root ? this : new PMap(root, this.size + change.sizeDelta);
  }

  delete(key: string): PMap<V> {
    const change: Change = { sizeDelta: 0 };
    const root = remove(this.root, key, hashString(key), 0, change) as Node;
    if (root === this.root) return this;
    const size = this.size + change.sizeDelta;
    return size === 0 ? PMap.empty() : new PMap(root, size);
  }

  forEach(fn: (value: V, key: string) => void): void {
    for (const [k, v] of walk(this.root)) fn(v as V, k);
  }

  /** Appends every value to `out` (cheaper than iterating for small index sets). */
  collect(out: V[]): V[] {
    collectInto(this.root, out);
    return out;
  }

  *values(): Generator<V> {
    for (const [, v] of walk(this.root)) yield v as V;
  }

  *entries(): Generator<[string, V]> {
    for (const [k, v] of walk(this.root)) yield [k, v as V];
  }
}
