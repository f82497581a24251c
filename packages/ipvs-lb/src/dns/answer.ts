import dnsPacket, { type Answer, type Packet } from 'dns-packet';
import { lookup, type DnsIndex } from './table.js';

export const RCODE_NOERROR = 0;
export const RCODE_FORMERR = 1;
export const RCODE_SERVFAIL = 2;
export const RCODE_NXDOMAIN = 3;
export const RCODE_NOTIMP = 4;

export type Decision = { kind: 'reply'; packet: Packet } | { kind: 'forward' };

/** Pure: a reply to `query` with `rcode` and the given answers, echoing id, question and RD. */
export function reply(query: Packet, rcode: number, answers: Answer[] = [], authoritative = false): Packet {
  const rd = (query.flags ?? 0) & dnsPacket.RECURSION_DESIRED;
  const aa = authoritative ? dnsPacket.AUTHORITATIVE_ANSWER : 0;
  return {
    type: 'response',
    id: query.id ?? 0,
    flags: rd | dnsPacket.RECURSION_AVAILABLE | aa | rcode,
    questions: query.questions ?? [],
    answers,
  };
}

/**
 * Pure: answer a query from the table or say it must be forwarded. The order of several
 * addresses rotates with the query id, so clients that take the first one spread over tasks.
 */
export function decide(index: DnsIndex, query: Packet, ttl: number): Decision {
  const opcode = ((query.flags ?? 0) >> 11) & 0xf;
  if (opcode !== 0) return { kind: 'reply', packet: reply(query, RCODE_NOTIMP) };
  const q = query.questions?.[0];
  if (!q || (query.questions?.length ?? 0) !== 1) return { kind: 'reply', packet: reply(query, RCODE_FORMERR) };
  const found = lookup(index, q.name);
  if (found.kind === 'forward') return { kind: 'forward' };
  if (found.kind === 'nxdomain') return { kind: 'reply', packet: reply(query, RCODE_NXDOMAIN, [], true) };
  // Our names have only A records: any other type is an empty NOERROR (the name exists).
  if (q.type !== 'A') return { kind: 'reply', packet: reply(query, RCODE_NOERROR, [], true) };
  const shift = found.addrs.length ? (query.id ?? 0) % found.addrs.length : 0;
  const ordered = [...found.addrs.slice(shift), ...found.addrs.slice(0, shift)];
  const answers: Answer[] = ordered.map((addr) => ({ type: 'A', class: 'IN', name: q.name, ttl, data: addr }));
  return { kind: 'reply', packet: reply(query, RCODE_NOERROR, answers, true) };
}

/** The largest UDP reply the client accepts: its EDNS payload size, else the classic 512 bytes. */
export function udpLimit(query: Packet): number {
  const opt = query.additionals?.find((a) => a.type === 'OPT');
  const size = opt && 'udpPayloadSize' in opt ? opt.udpPayloadSize : 512;
  return Math.max(512, Math.min(size, 65_000));
}

/**
 * Pure: a reply that fits in `limit` bytes over UDP. Too many records (a large dnsrr service)
 * are cut to what fits and the TC bit tells the client to ask again over TCP.
 */
export function fitUdp(packet: Packet, limit: number): Packet {
  if (dnsPacket.encodingLength(packet) <= limit) return packet;
  const answers = [...(packet.answers ?? [])];
  const truncated: Packet = { ...packet, flags: (packet.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE, answers };
  while (answers.length > 0 && dnsPacket.encodingLength(truncated) > limit) answers.pop();
  return truncated;
}
