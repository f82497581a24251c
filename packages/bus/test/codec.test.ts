import { describe, expect, it } from 'vitest';
import { Annotations, BusError, BusError_Code, Meta, Task } from '@flotilla/api';
import { BusRequestError, decodeMessage, encodeMessage, MalformedMessageError, messageTypeName } from '../src/index.js';

describe('codec', () => {
  it('round-trips a message through the generated codec', () => {
    const msg = Annotations.fromPartial({ name: 'web', labels: { tier: 'front' } });
    const bytes = encodeMessage(Annotations, msg);
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(decodeMessage(Annotations, bytes, 'flt.c1.x')).toEqual(msg);
  });

  it('names generated types', () => {
    expect(messageTypeName(Annotations)).toBe('Annotations');
    expect(messageTypeName(Task)).toBe('Task');
    expect(messageTypeName(BusError)).toBe('BusError');
  });

  it.each([
    ['a length beyond the end', [0x0a, 0x05, 0x61]],
    ['a varint that never ends', [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]],
    ['an invalid wire type', [0x0f]],
  ])('turns %s into MalformedMessageError naming type and subject', (_what, bytes) => {
    let caught: unknown;
    try {
      decodeMessage(Annotations, Uint8Array.from(bytes), 'flt.c1.store.list');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(MalformedMessageError);
    const err = caught as MalformedMessageError;
    expect(err.typeName).toBe('Annotations');
    expect(err.subject).toBe('flt.c1.store.list');
    expect(err.message).toMatch(/^malformed Annotations on subject "flt\.c1\.store\.list": /);
  });

  it('decodes an empty payload as the default message', () => {
    expect(decodeMessage(Meta, new Uint8Array(), 's')).toEqual(Meta.create());
  });
});

describe('BusRequestError wire form', () => {
  it('round-trips code, message and leader hint', () => {
    const err = new BusRequestError(BusError_Code.NOT_LEADER, 'not the leader', { leaderHint: 'm2' });
    const back = BusRequestError.fromWire(BusError.decode(BusError.encode(err.toWire()).finish()), 'flt.c1.store.propose');
    expect(back.code).toBe(BusError_Code.NOT_LEADER);
    expect(back.message).toBe('not the leader');
    expect(back.leaderHint).toBe('m2');
    expect(back.subject).toBe('flt.c1.store.propose');
  });

  it('maps an unknown or missing code to INTERNAL, saying so', () => {
    const back = BusRequestError.fromWire({ code: BusError_Code.CODE_UNSPECIFIED, message: 'boom', leaderHint: '' }, 'x.y');
    expect(back.code).toBe(BusError_Code.INTERNAL);
    expect(back.message).toBe('unknown error code from x.y: boom');
  });
});
