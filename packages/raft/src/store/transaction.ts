// Building the StoreTransaction a writer proposes through Raft.
import { StoreOp, StoreTransaction, type StoreAction } from '@flotilla/api';
import { wrap } from './apply.js';
import type { Kind, ObjectByKind, StoredObject } from './kinds.js';

export class TransactionBuilder {
  private readonly actions: StoreAction[] = [];

  /**
   * @param id correlates the apply result with the proposal
   * @param timestampMs the proposer's clock, written into meta.createdAt/updatedAt on every member
   */
  constructor(
    readonly id: string,
    readonly timestampMs: number,
  ) {}

  create<K extends Kind>(kind: K, object: ObjectByKind[K]): this {
    return this.push(StoreOp.STORE_OP_CREATE, kind, object);
  }

  /** `object.meta.version` must be the version that was read; a stale one fails the transaction. */
  update<K extends Kind>(kind: K, object: ObjectByKind[K]): this {
    return this.push(StoreOp.STORE_OP_UPDATE, kind, object);
  }

  /** Only `id` and `meta.version` of `object` matter. */
  delete<K extends Kind>(kind: K, object: ObjectByKind[K]): this {
    return this.push(StoreOp.STORE_OP_DELETE, kind, object);
  }

  get size(): number {
    return this.actions.length;
  }

  build(): StoreTransaction {
    return { id: this.id, timestampMs: this.timestampMs, actions: [...this.actions], scope: '', fence: undefined };
  }

  encode(): Uint8Array {
    return StoreTransaction.encode(this.build()).finish();
  }

  private push(op: StoreOp, kind: Kind, object: StoredObject): this {
    // The transaction is written to the WAL before it is applied: a plain secret value must be
    // refused here, by every writer, or it would rest on disk.
    if (kind === 'secret' && ((object as ObjectByKind['secret']).spec?.data.length ?? 0) > 0) {
      throw new Error(`store transaction ${this.id}: secret ${object.id} carries a plain value; only sealed values may be stored`);
    }
    this.actions.push({ op, object: wrap(kind, object) });
    return this;
  }
}

/**
 * The id (field 1) of encoded StoreTransaction bytes without decoding the actions: the
 * idempotency key of a proposal. '' when there is none or the bytes do not parse (the store
 * refuses those at apply).
 */
export function transactionIdOf(bytes: Uint8Array): string {
  let pos = 0;
  const varint = (): number => {
    let v = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (pos >= bytes.length) throw new RangeError('truncated varint');
      const b = bytes[pos++]!;
      v += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return v;
    }
    throw new RangeError('varint too long');
  };
  try {
    while (pos < bytes.length) {
      const tag = varint();
      const wire = tag % 8;
      if (wire === 2) {
        const len = varint();
        if (pos + len > bytes.length) return '';
        if (Math.floor(tag / 8) === 1) return Buffer.from(bytes.buffer, bytes.byteOffset + pos, len).toString('utf8');
        pos += len;
      } else if (wire === 0) varint();
      else if (wire === 1) pos += 8;
      else if (wire === 5) pos += 4;
      else return '';
    }
  } catch {
    return '';
  }
  return '';
}
