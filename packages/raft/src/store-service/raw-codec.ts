// A store snapshot is already StoreSnapshot bytes; re-decoding it only to encode it again for
// the reply would copy the whole store twice. This codec passes the bytes through.
import type { MessageType } from '@flotilla/bus';

export const rawBytes: MessageType<Uint8Array> = {
  encode: (b) => ({ finish: () => b }),
  decode: (b) => b,
};
