// Persistent (immutable) string-keyed map: a hash array mapped trie with path copying.
// Every write returns a new map sharing all untouched nodes with the old one, so a reader
// holding an old root keeps a consistent version for free and a failed transaction is
// rolled back by simply dropping its new root.

const BITS = 5;
const MASK = 31;

class Leaf<V> {
  constructor(
    readonly key: string,
    readonly hash: number,
    readonly value: V,
  ) {}
}

class Branch<V> {
  constructor(
    readonly bitmap: number,
    readonly slots: ReadonlyArray<Slot<V>>,
  ) {}
}

/** Keys whose 32-bit hashes are equal. */
class Collision<V> {
  constructor(
    readonly hash: number,
    readonly leaves: ReadonlyArray<Leaf<V>>,
  ) {}
}

type Slot<V> = Leaf<V> | Branch<V> | Collision<V>;

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

function lookup<V>(node: Slot<V>, hash: number, key: string): V | undefined {
  let shift = 0;
  for (;;) {
    if (node instanceof Branch) {
      const bit = 1 << ((hash >>> shift) & MASK);
      if ((node.bitmap & bit) === 0) return undefined;
      node = node.slots[popcount(node.bitmap & (bit - 1))]!;
      shift += BITS;
    } else if (node instanceof Leaf) {
      return node.key === key ? node.value : undefined;
    } else {
      for (const l of node.leaves) if (l.key === key) return l.value;
      return undefined;
    }
  }
}

/** A branch (at `shift`) holding two slots whose hashes differ, or a collision when they are equal. */
function join2<V>(a: Leaf<V> | Collision<V>, b: Leaf<V>, shift: number): Slot<V> {
  if (a.hash === b.hash) {
    const leaves = a instanceof Leaf ? [a, b] : [...a.leaves, b];
    return new Collision(a.hash, leaves);
  }
  const ia = (a.hash >>> shift) & MASK;
  const ib = (b.hash >>> shift) & MASK;
  if (ia === ib) return new Branch(1 << ia, [join2(a, b, shift + BITS)]);
  return new Branch((1 << ia) | (1 << ib), ia < ib ? [a, b] : [b, a]);
}

// Exact-length copies: splice() on a copy leaves growth slack in every trie node,
// which at 100k objects times seven indexes is most of the store's memory.
function withInserted<T>(src: ReadonlyArray<T>, at: number, item: T): T[] {
  const out = new Array<T>(src.length + 1);
  for (let i = 0; i < at; i++) out[i] = src[i]!;
  out[at] = item;
  for (let i = at; i < src.length; i++) out[i + 1] = src[i]!;
  return out;
}

function withRemoved<T>(src: ReadonlyArray<T>, at: number): T[] {
  const out = new Array<T>(src.length - 1);
  for (let i = 0; i < at; i++) out[i] = src[i]!;
  for (let i = at + 1; i < src.length; i++) out[i - 1] = src[i]!;
  return out;
}

interface Change {
  sizeDelta: number;
}

function insert<V>(node: Slot<V>, leaf: Leaf<V>, shift: number, change: Change): Slot<V> {
  if (node instanceof Branch) {
    const bit = 1 << ((leaf.hash >>> shift) & MASK);
    const idx = popcount(node.bitmap & (bit - 1));
    if ((node.bitmap & bit) === 0) {
      const slots = withInserted(node.slots, idx, leaf);
      change.sizeDelta = 1;
      return new Branch(node.bitmap | bit, slots);
    }
    const child = node.slots[idx]!;
    const next = insert(child, leaf, shift + BITS, change);
    if (next === child) return node;
    const slots = node.slots.slice();
    slots[idx] = next;
    return new Branch(node.bitmap, slots);
  }
  if (node instanceof Leaf) {
    if (node.key === leaf.key) return node.value === leaf.value ? node : leaf;
    change.sizeDelta = 1;
    return join2(node, leaf, shift);
  }
  // Collision
  if (node.hash !== leaf.hash) {
    change.sizeDelta = 1;
    return join2(node, leaf, shift);
  }
  const at = node.leaves.findIndex((l) => l.key === leaf.key);
  if (at < 0) {
    change.sizeDelta = 1;
    return new Collision(node.hash, [...node.leaves, leaf]);
  }
  if (node.leaves[at]!.value === leaf.value) return node;
  const leaves = node.leaves.slice();
  leaves[at] = leaf;
  return new Collision(node.hash, leaves);
}

/** Returns the node without `key`: the same node when absent, undefined when emptied, a lone leaf to inline. */
function remove<V>(node: Slot<V>, hash: number, key: string, shift: number, change: Change): Slot<V> | undefined {
  if (node instanceof Branch) {
    const bit = 1 << ((hash >>> shift) & MASK);
    if ((node.bitmap & bit) === 0) return node;
    const idx = popcount(node.bitmap & (bit - 1));
    const child = node.slots[idx]!;
    const next = remove(child, hash, key, shift + BITS, change);
    if (next === child) return node;
    if (next === undefined) {
      if (node.slots.length === 1) return undefined;
      const slots = withRemoved(node.slots, idx);
      // A branch left with one leaf collapses into the leaf so the trie keeps one shape per key set.
      if (slots.length === 1 && !(slots[0] instanceof Branch) && shift > 0) return slots[0];
      return new Branch(node.bitmap & ~bit, slots);
    }
    if (node.slots.length === 1 && !(next instanceof Branch) && shift > 0) return next;
    const slots = node.slots.slice();
    slots[idx] = next;
    return new Branch(node.bitmap, slots);
  }
  if (node instanceof Leaf) {
    if (node.key !== key) return node;
    change.sizeDelta = -1;
    return undefined;
  }
  const at = node.leaves.findIndex((l) => l.key === key);
  if (at < 0) return node;
  change.sizeDelta = -1;
  const leaves = node.leaves.filter((_, i) => i !== at);
  return leaves.length === 1 ? leaves[0] : new Collision(node.hash, leaves);
}

function each<V>(node: Slot<V>, fn: (value: V, key: string) => void): void {
  if (node instanceof Leaf) fn(node.value, node.key);
  else if (node instanceof Branch) for (const s of node.slots) each(s, fn);
  else for (const l of node.leaves) fn(l.value, l.key);
}

function collectInto<V>(node: Slot<V>, out: V[]): void {
  if (node instanceof Leaf) out.push(node.value);
  else if (node instanceof Branch) {
    const slots = node.slots;
    for (let i = 0; i < slots.length; i++) collectInto(slots[i]!, out);
  } else for (const l of node.leaves) out.push(l.value);
}

function* walk<V>(node: Slot<V>): Generator<Leaf<V>> {
  if (node instanceof Leaf) yield node;
  else if (node instanceof Branch) for (const s of node.slots) yield* walk(s);
  else yield* node.leaves;
}

const EMPTY_BRANCH = new Branch<never>(0, []);

export class PMap<V> {
  private static readonly EMPTY = new PMap<never>(EMPTY_BRANCH, 0);

  private constructor(
    private readonly root: Branch<V>,
    readonly size: number,
  ) {}

  static empty<V>(): PMap<V> {
    return PMap.EMPTY as PMap<V>;
  }

  get(key: string): V | undefined {
    return lookup(this.root, hashString(key), key);
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  set(key: string, value: V): PMap<V> {
    const change: Change = { sizeDelta: 0 };
    const root = insert(this.root, new Leaf(key, hashString(key), value), 0, change) as Branch<V>;
    return root === this.root ? this : new PMap(root, this.size + change.sizeDelta);
  }

  delete(key: string): PMap<V> {
    const change: Change = { sizeDelta: 0 };
    const next = remove(this.root, hashString(key), key, 0, change);
    if (next === this.root) return this;
    // The root is always a branch (remove never collapses at shift 0).
    return next === undefined ? PMap.empty() : new PMap(next as Branch<V>, this.size + change.sizeDelta);
  }

  forEach(fn: (value: V, key: string) => void): void {
    each(this.root, fn);
  }

  /** Appends every value to `out` (cheaper than iterating for small index sets). */
  collect(out: V[]): V[] {
    collectInto(this.root, out);
    return out;
  }

  *values(): Generator<V> {
    for (const l of walk(this.root)) yield l.value;
  }

  *entries(): Generator<[string, V]> {
    for (const l of walk(this.root)) yield [l.key, l.value];
  }
}
