import type { RaftEntry } from '@flotilla/api';
import { entrySize } from './types.js';

/** Longest prefix of ents within maxSize bytes, but never fewer than one entry. */
export function limitSize(ents: RaftEntry[], maxSize: number): RaftEntry[] {
  if (ents.length === 0) return ents;
  let size = entrySize(ents[0]!);
  let n = 1;
  for (; n < ents.length; n++) {
    size += entrySize(ents[n]!);
    if (size > maxSize) break;
  }
  return n === ents.length ? ents : ents.slice(0, n);
}
