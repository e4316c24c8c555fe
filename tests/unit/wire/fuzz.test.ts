/**
 * Fuzz: mutations of the real golden datagrams must never make the decoder throw, and must never
 * reach its last-resort 'internal' error (that would mean a read was not bounds-checked). Every
 * packet that still decodes must re-encode to the same messages. A seeded xorshift32 makes every
 * run identical, so a failure is reproducible from the iteration number.
 */
import { describe, expect, it } from 'vitest';
import { decodePacket } from '../../../src-shared/wire/packetDecoder.ts';
import { encodePacket } from '../../../src-shared/wire/packetWriter.ts';
import { packetText } from '../../../src-shared/wire/canonicalText.ts';
import { MAX_DATAGRAM_LIMIT } from '../../../src-shared/wire/obmcMessage.ts';
import { goldenPackets } from './goldenFiles.ts';

/** xorshift32 (Marsaglia 2003): tiny, fast, deterministic. */
function xorshift32(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

type Mutation = (b: Uint8Array, rnd: () => number) => Uint8Array;

const MUTATIONS: Mutation[] = [
  // Flip 1-4 random bits anywhere.
  (b, rnd) => {
    const out = b.slice();
    if (out.length === 0) return out;
    for (let k = 1 + (rnd() % 4); k > 0; k--) out[rnd() % out.length]! ^= 1 << (rnd() % 8);
    return out;
  },
  // Overwrite a random byte with a random value.
  (b, rnd) => {
    const out = b.slice();
    if (out.length > 0) out[rnd() % out.length] = rnd() & 0xff;
    return out;
  },
  // Overwrite one of the u16 length/count fields with a random value, keeping packetLength right
  // half of the time so the walk gets past the header checks.
  (b, rnd) => {
    const out = b.slice();
    const v = new DataView(out.buffer);
    if (out.length < 2) return out;
    v.setUint16(rnd() % (out.length - 1), rnd() & 0xffff, true);
    if (rnd() & 1 && out.length >= 14) v.setUint16(12, out.length, true);
    return out;
  },
  // Truncate, with packetLength patched to match half of the time.
  (b, rnd) => {
    const out = b.slice(0, rnd() % (b.length + 1));
    if (rnd() & 1 && out.length >= 14) new DataView(out.buffer).setUint16(12, out.length, true);
    return out;
  },
  // Append random bytes (trailing garbage or a fake message), patched length.
  (b, rnd) => {
    const extra = rnd() % 80;
    const out = new Uint8Array(Math.min(b.length + extra, MAX_DATAGRAM_LIMIT + 4));
    out.set(b.subarray(0, Math.min(b.length, out.length)));
    for (let i = b.length; i < out.length; i++) out[i] = rnd() & 0xff;
    if (rnd() & 1 && out.length >= 14) new DataView(out.buffer).setUint16(12, out.length, true);
    return out;
  },
  // Splice the head of one real packet onto the tail of another.
  (b, rnd) => {
    const cut = rnd() % (b.length + 1);
    const other = GOLDEN[rnd() % GOLDEN.length]!;
    const from = rnd() % (other.length + 1);
    const out = new Uint8Array(cut + other.length - from);
    out.set(b.subarray(0, cut));
    out.set(other.subarray(from), cut);
    if (rnd() & 1 && out.length >= 14) new DataView(out.buffer).setUint16(12, out.length, true);
    return out;
  },
  // Pure noise of a random size (a foreign protocol on our port).
  (_b, rnd) => {
    const out = new Uint8Array(rnd() % 1500);
    for (let i = 0; i < out.length; i++) out[i] = rnd() & 0xff;
    return out;
  },
];

const GOLDEN = goldenPackets();

describe('decoder fuzz over mutated golden packets', () => {
  it('never throws and never hits its internal-error fallback', () => {
    const rnd = xorshift32(0x0b3c0001);
    const outcomes = new Map<string, number>();
    const iterations = 30_000;
    for (let i = 0; i < iterations; i++) {
      const base = GOLDEN[rnd() % GOLDEN.length]!;
      let bytes = MUTATIONS[rnd() % MUTATIONS.length]!(base, rnd);
      // Stack a second mutation a third of the time.
      if (rnd() % 3 === 0) bytes = MUTATIONS[rnd() % MUTATIONS.length]!(bytes.length > 0 ? bytes : base, rnd);
      let result;
      try {
        result = decodePacket(bytes);
      } catch (err) {
        throw new Error(`iteration ${i}: decoder threw ${String(err)} on ${Buffer.from(bytes).toString('hex')}`);
      }
      const key = result.ok ? 'ok' : result.error.code;
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      if (!result.ok) {
        expect(result.error.code, `iteration ${i}: ${result.error.detail}`).not.toBe('internal');
        continue;
      }
      // Formatting a decoded packet must not throw either (the listen tool prints them).
      expect(packetText(result).length).toBeGreaterThan(0);
      const messages = result.packet.messages.map((m) => m.message);
      const printable = messages.every((m) => m.type !== 'InstrumentDefinition' || !`${m.exchange}${m.symbol}${m.baseAsset}${m.quoteAsset}`.includes('\ufffd'));
      if (!printable) continue;
      const h = result.packet.header;
      const again = encodePacket({ ...h, sendingTimeNs: h.sendingTimeNs }, messages, MAX_DATAGRAM_LIMIT);
      if (!again.ok) throw new Error(`iteration ${i}: re-encode failed: ${again.detail}`);
      const round = decodePacket(again.bytes);
      expect(round.ok && round.packet.messages.map((m) => m.message)).toEqual(messages);
    }
    const total = [...outcomes.values()].reduce((a, b) => a + b, 0);
    expect(total).toBe(iterations);
    // The mutations must exercise both sides: packets that survive and several error paths.
    expect(outcomes.get('ok') ?? 0).toBeGreaterThan(100);
    for (const code of ['truncated-header', 'bad-magic', 'length-mismatch', 'bad-message-length', 'count-mismatch']) {
      expect(outcomes.get(code) ?? 0, `no ${code} outcome in ${JSON.stringify([...outcomes])}`).toBeGreaterThan(0);
    }
  });
});
