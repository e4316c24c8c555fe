/**
 * OBMC/1 codec edge cases from the design's golden-vector checklist (4.2): exponent extremes,
 * negative prices, null orderCount, unknown templates and longer blocks (skipped), a packet at
 * exactly maxDatagram, and malformed packets rejected with typed errors. The checksum is
 * cross-checked against node:zlib, an independent CRC-32 implementation.
 */
import { crc32 as zlibCrc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodePacket, PacketWriter, type PacketHeaderInit } from '../../../src-shared/wire/packetWriter.ts';
import { decodePacket, type DecodeErrorCode } from '../../../src-shared/wire/packetDecoder.ts';
import { bookChecksum, crc32, entriesChecksum, type LevelView } from '../../../src-shared/wire/bookChecksum.ts';
import { formatDecimal } from '../../../src-shared/wire/canonicalText.ts';
import {
  ChannelType,
  MAX_DATAGRAM_LIMIT,
  ORDER_COUNT_UNKNOWN,
  PacketFlags,
  type BookDelta,
  type ObmcMessage,
  type Trade,
} from '../../../src-shared/wire/obmcMessage.ts';
import { goldenPackets } from './goldenFiles.ts';

const H: PacketHeaderInit = {
  flags: 0,
  channelId: 3,
  sessionId: 1_750_000_000,
  channelType: ChannelType.INCREMENTAL,
  sequenceNumber: 41,
  sendingTimeNs: 1_750_000_000_000_000_123n,
};

function levels(pairs: [number, number][]): LevelView {
  return { count: pairs.length, priceAt: (i) => pairs[i]![0], sizeAtLevel: (i) => pairs[i]![1] };
}

function checksumBytes(bookSeq: number, bids: [number, number][], asks: [number, number][]): Buffer {
  const out = Buffer.alloc(8 + 17 * (bids.length + asks.length));
  out.writeBigUInt64LE(BigInt(bookSeq), 0);
  let at = 8;
  for (const [side, list] of [[1, bids], [2, asks]] as const) {
    for (const [p, s] of list) {
      out.writeUInt8(side, at);
      out.writeBigInt64LE(BigInt(p), at + 1);
      out.writeBigInt64LE(BigInt(s), at + 9);
      at += 17;
    }
  }
  return out;
}

function delta(entries: BookDelta['entries'], over: Partial<BookDelta> = {}): BookDelta {
  return {
    type: 'BookDelta',
    instrumentId: 9,
    priceExponent: -2,
    sizeExponent: -6,
    flags: 1,
    bookSeq: 77,
    exchangeTimeNs: 0n,
    entries,
    ...over,
  };
}

function encodeOk(messages: ObmcMessage[], header = H, max?: number): Uint8Array {
  const r = encodePacket(header, messages, max);
  if (!r.ok) throw new Error(r.detail);
  return r.bytes;
}

function errorCode(bytes: Uint8Array): DecodeErrorCode | 'ok' {
  const r = decodePacket(bytes);
  return r.ok ? 'ok' : r.error.code;
}

describe('book checksum', () => {
  it('matches zlib CRC-32 on arbitrary bytes', () => {
    const b = new Uint8Array(1000);
    for (let i = 0; i < b.length; i++) b[i] = (i * 131 + 7) & 0xff;
    for (const len of [0, 1, 7, 8, 17, 999, 1000]) expect(crc32(b, 0, len)).toBe(zlibCrc32(b.subarray(0, len)));
  });

  it('equals zlib CRC-32 over the design byte layout, negative prices included', () => {
    const bids: [number, number][] = [[-150, 3], [-175, 2_000_000_000_000], [-9_007_199_254_740_991, 1]];
    const asks: [number, number][] = [[-100, 5], [0, 9_007_199_254_740_991]];
    const expected = zlibCrc32(checksumBytes(123456789012, bids, asks));
    expect(bookChecksum(123456789012, levels(bids), levels(asks))).toBe(expected);
    const entries = [...asks.map(([price, size]) => ({ price, size, side: 2 })), ...bids.map(([price, size]) => ({ price, size, side: 1 }))];
    expect(entriesChecksum(123456789012, entries)).toBe(expected);
  });

  it('is non-zero for an empty book and honours the depth limit', () => {
    expect(bookChecksum(0, levels([]), levels([]))).toBe(zlibCrc32(Buffer.alloc(8)));
    expect(bookChecksum(0, levels([]), levels([]))).not.toBe(0);
    const bids: [number, number][] = [[10, 1], [9, 1], [8, 1]];
    expect(bookChecksum(5, levels(bids), levels([]), 2)).toBe(zlibCrc32(checksumBytes(5, bids.slice(0, 2), [])));
  });
});

describe('OBMC/1 round trips', () => {
  it('keeps exponent extremes, negative prices, null order counts and max safe mantissas', () => {
    const messages: ObmcMessage[] = [
      delta([
        { price: -12345, size: 1, orderCount: ORDER_COUNT_UNKNOWN, side: 1, action: 1 },
        { price: Number.MAX_SAFE_INTEGER, size: Number.MAX_SAFE_INTEGER, orderCount: 0, side: 2, action: 1 },
        { price: Number.MIN_SAFE_INTEGER, size: 0, orderCount: 7, side: 2, action: 2 },
      ], { priceExponent: -18, sizeExponent: 0 }),
      delta([{ price: 5, size: 12, orderCount: 3, side: 1, action: 1 }], { priceExponent: 3, sizeExponent: 127, bookSeq: 78 }),
      {
        type: 'Trade',
        instrumentId: 9,
        priceExponent: -128,
        sizeExponent: 2,
        aggressorSide: 0,
        flags: 0,
        tradeSeq: Number.MAX_SAFE_INTEGER,
        price: -1,
        size: 4,
        exchangeTimeNs: (1n << 64n) - 1n,
        venueTradeId: (1n << 64n) - 1n,
      },
    ];
    const r = decodePacket(encodeOk(messages));
    if (!r.ok) throw new Error(r.error.detail);
    expect(r.packet.messages.map((m) => m.message)).toEqual(messages);
    expect(r.packet.messages.map((m) => m.seq)).toEqual([41, 42, 43]);
  });

  it('formats decimals exactly for negative, zero and positive exponents', () => {
    expect(formatDecimal(-12345, -18)).toBe('-0.000000000000012345');
    expect(formatDecimal(12, 0)).toBe('12');
    expect(formatDecimal(5, 3)).toBe('5000');
    expect(formatDecimal(-5, 2)).toBe('-500');
    expect(formatDecimal(0, 2)).toBe('0');
  });

  it('refuses unrepresentable values at the encoder', () => {
    expect(() => encodePacket(H, [delta([{ price: 2 ** 63, size: 1, orderCount: 0, side: 1, action: 1 }])])).toThrow(RangeError);
    expect(() => encodePacket(H, [delta([{ price: 1.5, size: 1, orderCount: 0, side: 1, action: 1 }])])).toThrow(RangeError);
    expect(() => encodePacket(H, [delta([], { priceExponent: -129 })])).toThrow(RangeError);
    expect(() => new PacketWriter(MAX_DATAGRAM_LIMIT + 1)).toThrow(RangeError);
  });

  it('rejects 64-bit mantissas a double cannot hold exactly with a typed error', () => {
    const bytes = encodeOk([delta([{ price: 1, size: 1, orderCount: 0, side: 1, action: 1 }])]);
    const entry = 32 + 10 + 24 + 4;
    new DataView(bytes.buffer).setUint32(entry + 4, 0x00400000, true); // price hi word: 2^54 + 1
    expect(errorCode(bytes)).toBe('unsafe-integer');
  });

  it('carries exact mantissas beyond 2^53 (a 1e16 size at scale 9, as Gate sends) both ways', () => {
    const bytes = encodeOk([delta([{ price: 28144, size: 1e16, orderCount: 0, side: 1, action: 1 }])]);
    const d = decodePacket(bytes);
    if (!d.ok) throw new Error(d.error.detail);
    const m = d.packet.messages[0]!.message as { entries: { size: number }[] };
    expect(BigInt(m.entries[0]!.size)).toBe(10_000_000_000_000_000n);
  });
});

describe('forward compatibility', () => {
  /** A golden packet with its first message replaced by an unknown template of `bodyLength`. */
  function withUnknownFirst(templateId: number, schemaId: number): Uint8Array {
    const bytes = encodeOk([delta([]), delta([{ price: 1, size: 2, orderCount: 0, side: 1, action: 1 }], { bookSeq: 78 })]);
    const v = new DataView(bytes.buffer);
    v.setUint16(32 + 4, templateId, true);
    v.setUint16(32 + 6, schemaId, true);
    return bytes;
  }

  it('skips an unknown templateId by its length and keeps counting seqs', () => {
    const r = decodePacket(withUnknownFirst(999, 1));
    if (!r.ok) throw new Error(r.error.detail);
    expect(r.packet.skipped).toEqual([{ seq: 41, templateId: 999, schemaId: 1, offset: 32, length: 38 }]);
    expect(r.packet.messages.map((m) => [m.seq, m.message.type])).toEqual([[42, 'BookDelta']]);
  });

  it('skips a message of another schema', () => {
    const r = decodePacket(withUnknownFirst(4, 2));
    if (!r.ok) throw new Error(r.error.detail);
    expect(r.packet.skipped.map((s) => s.schemaId)).toEqual([2]);
    expect(r.packet.messages).toHaveLength(1);
  });

  it('reads a longer root block and longer entries through the wire lengths', () => {
    // Build a Trade whose root block carries 8 extra bytes (a future schema version), followed
    // by a BookDelta whose entries are 28 bytes (a future entry field), by hand.
    const trade: Trade = {
      type: 'Trade', instrumentId: 4, priceExponent: -1, sizeExponent: -3, aggressorSide: 1, flags: 0,
      tradeSeq: 2, price: 101, size: 5, exchangeTimeNs: 9n, venueTradeId: 10n,
    };
    const base = encodeOk([trade, delta([{ price: 1, size: 2, orderCount: 3, side: 2, action: 1 }])]);
    const tradeLen = 58;
    const deltaLen = base.length - 32 - tradeLen;
    const out = new Uint8Array(base.length + 8 + 4);
    out.set(base.subarray(0, 32 + tradeLen), 0);
    const v = new DataView(out.buffer);
    v.setUint16(32, tradeLen + 8, true);
    v.setUint16(34, 48 + 8, true);
    out.fill(0xee, 32 + tradeLen, 32 + tradeLen + 8);
    const d = 32 + tradeLen + 8;
    out.set(base.subarray(32 + tradeLen, 32 + tradeLen + 10 + 24), d); // header + root
    v.setUint16(d, deltaLen + 4, true);
    v.setUint16(d + 34, 28, true); // entry blockLength
    v.setUint16(d + 36, 1, true);
    out.set(base.subarray(32 + tradeLen + 38, base.length), d + 38);
    out.fill(0xdd, d + 38 + 24, d + 38 + 28);
    v.setUint16(12, out.length, true);
    const r = decodePacket(out);
    if (!r.ok) throw new Error(r.error.detail);
    expect(r.packet.messages.map((m) => m.message)).toEqual([trade, delta([{ price: 1, size: 2, orderCount: 3, side: 2, action: 1 }])]);
  });
});

describe('datagram budget', () => {
  it('fills a packet to exactly maxDatagram and refuses the next byte', () => {
    // 32 + Trade 58 + BookDelta 38 + 53 entries * 24 = 1400.
    const w = new PacketWriter(1400);
    w.begin(H);
    expect(w.writeTrade({
      instrumentId: 1, priceExponent: 0, sizeExponent: 0, aggressorSide: 1, flags: 0, tradeSeq: 1, price: 1, size: 1,
      exchangeTimeNs: 0n, venueTradeId: 0n,
    })).toBe(true);
    expect(w.beginBookDelta(1, 0, 0, 0, 1, 0n)).toBe(true);
    let n = 0;
    while (w.addEntry(n + 1, 1, 0, 1, 1)) n++;
    expect(n).toBe(53);
    expect(w.remaining()).toBe(0);
    expect(w.writeInstrumentStatus({ instrumentId: 1, status: 1, reason: 0, bookSeq: 1, tradeSeq: 1, timestampNs: 0n, bookChecksum: 0 })).toBe(false);
    const bytes = w.finish();
    expect(bytes.length).toBe(1400);
    const r = decodePacket(bytes);
    if (!r.ok) throw new Error(r.error.detail);
    expect(r.packet.header.messageCount).toBe(2);
    const d = r.packet.messages[1]!.message;
    expect(d.type === 'BookDelta' && d.entries.length).toBe(53);
  });

  it('reports a message list that does not fit instead of writing a larger datagram', () => {
    const entries = Array.from({ length: 56 }, (_, i) => ({ price: i, size: 1, orderCount: 0, side: 1, action: 1 }));
    const r = encodePacket(H, [delta(entries)]);
    expect(r.ok).toBe(false);
    expect(encodePacket(H, [delta(entries.slice(0, 55))]).ok).toBe(true);
  });
});

describe('malformed packets', () => {
  const golden = goldenPackets();
  const first = golden[0]!;

  function mutate(bytes: Uint8Array, f: (v: DataView, b: Uint8Array) => void): Uint8Array {
    const b = bytes.slice();
    f(new DataView(b.buffer), b);
    return b;
  }

  it('rejects each malformation with its own code', () => {
    expect(errorCode(first.subarray(0, 31))).toBe('truncated-header');
    expect(errorCode(new Uint8Array(1473))).toBe('oversized');
    expect(errorCode(mutate(first, (_, b) => (b[0] = 0x4e)))).toBe('bad-magic');
    expect(errorCode(mutate(first, (_, b) => (b[2] = 2)))).toBe('unsupported-version');
    expect(errorCode(first.subarray(0, 249))).toBe('length-mismatch');
    expect(errorCode(mutate(first, (v) => v.setUint16(12, 251, true)))).toBe('length-mismatch');
    expect(errorCode(mutate(first, (v) => v.setUint16(32, 9, true)))).toBe('bad-message-length');
    expect(errorCode(mutate(first, (v) => v.setUint16(32, 0, true)))).toBe('bad-message-length');
    expect(errorCode(mutate(first, (v) => v.setUint16(32 + 42 + 126, 51, true)))).toBe('bad-message-length');
    expect(errorCode(mutate(first, (v) => v.setUint16(34, 31, true)))).toBe('short-block');
    expect(errorCode(mutate(first, (v) => v.setUint16(34, 33, true)))).toBe('short-block');
    expect(errorCode(mutate(first, (v) => v.setUint16(6, 2, true)))).toBe('count-mismatch');
    expect(errorCode(mutate(first, (v) => v.setUint16(6, 4, true)))).toBe('count-mismatch');
    expect(errorCode(mutate(first, (_, b) => (b[3] = PacketFlags.HEARTBEAT)))).toBe('count-mismatch');
    const snapshot = golden[1]!;
    expect(errorCode(mutate(snapshot, (v) => v.setUint16(32 + 58 + 2, 5, true)))).toBe('bad-group');
    expect(errorCode(mutate(snapshot, (v) => v.setUint16(32 + 58, 23, true)))).toBe('bad-group');
  });

  it('accepts every golden packet', () => {
    expect(golden.map(errorCode)).toEqual(['ok', 'ok', 'ok', 'ok']);
  });
});
