/**
 * OBMC/1 decoder. It never throws: whatever arrives on a socket -- truncated, oversized,
 * mutated, another protocol's datagram -- comes back as a typed error with a code and the byte
 * offset where decoding stopped, because a throw inside a 'message' handler would take the
 * receiver down with it (house style: expected failures are results).
 *
 * Forward compatibility follows SBE (design 2.12): root blocks are read through the wire
 * blockLength (trailing fields of a newer schema version are skipped), group entries through the
 * group blockLength, and messages with an unknown templateId or another schemaId are skipped by
 * their messageLength and reported in `skipped`. Unknown enum codes are passed through as
 * numbers; the receiver decides what to do with them.
 */
import { readInt64, readUint64 } from './int64.ts';
import {
  BlockLength,
  ENTRY_SIZE,
  GROUP_HEADER_SIZE,
  MAGIC0,
  MAGIC1,
  MAX_DATAGRAM_LIMIT,
  MESSAGE_HEADER_SIZE,
  PACKET_HEADER_SIZE,
  PacketFlags,
  SCHEMA_ID,
  TemplateId,
  WIRE_VERSION,
  type BookEntry,
  type ObmcMessage,
  type PacketHeader,
} from './obmcMessage.ts';

export type DecodeErrorCode =
  /** Fewer than 32 bytes: not even a header. */
  | 'truncated-header'
  /** Larger than 1472 bytes, which no OBMC publisher sends (it would be IP-fragmented). */
  | 'oversized'
  /** Not "OB": a foreign datagram on our port. */
  | 'bad-magic'
  | 'unsupported-version'
  /** header.packetLength differs from the datagram size (truncation or trailing garbage). */
  | 'length-mismatch'
  /** messageLength < 10 (a zero would loop forever) or past the end of the packet. */
  | 'bad-message-length'
  /** A known message whose blockLength is shorter than the fields this schema version needs. */
  | 'short-block'
  /** A book message whose entry group does not fit its messageLength, or entries too short. */
  | 'bad-group'
  /** messageCount disagrees with the messages present, or a heartbeat/EOS carries messages. */
  | 'count-mismatch'
  /** A 64-bit mantissa or counter outside the JS safe-integer range. */
  | 'unsafe-integer'
  /** A decoder bug caught as a last resort: tests assert this never happens. */
  | 'internal';

export interface DecodeError {
  code: DecodeErrorCode;
  /** Byte offset in the datagram where the problem was found. */
  offset: number;
  detail: string;
}

export interface DecodedMessage {
  /** Implied channel sequence number: header.sequenceNumber + position in the packet. */
  seq: number;
  message: ObmcMessage;
}

export interface SkippedMessage {
  seq: number;
  templateId: number;
  schemaId: number;
  offset: number;
  length: number;
}

export interface DecodedPacket {
  header: PacketHeader;
  messages: DecodedMessage[];
  skipped: SkippedMessage[];
}

export type DecodeResult = { ok: true; packet: DecodedPacket } | { ok: false; error: DecodeError };

class Fail {
  readonly error: DecodeError;
  constructor(code: DecodeErrorCode, offset: number, detail: string) {
    this.error = { code, offset, detail };
  }
}

function fail(code: DecodeErrorCode, offset: number, detail: string): Fail {
  return new Fail(code, offset, detail);
}

/**
 * Root block each known template needs: every field of schema version 0, the first version.
 * Longer blocks (a newer version's appended fields) are accepted and their tail is skipped.
 */
const MIN_BLOCK: Record<number, number> = {
  [TemplateId.SYSTEM_EVENT]: BlockLength.SYSTEM_EVENT,
  [TemplateId.INSTRUMENT_DEFINITION]: BlockLength.INSTRUMENT_DEFINITION,
  [TemplateId.INSTRUMENT_STATUS]: BlockLength.INSTRUMENT_STATUS,
  [TemplateId.BOOK_DELTA]: BlockLength.BOOK_DELTA,
  [TemplateId.BOOK_SNAPSHOT]: BlockLength.BOOK_SNAPSHOT,
  [TemplateId.TRADE]: BlockLength.TRADE,
};

/** Fixed-size NUL-padded ASCII; bytes outside printable ASCII become U+FFFD. */
function readAscii(bytes: Uint8Array, at: number, size: number): string {
  let s = '';
  for (let i = 0; i < size; i++) {
    const c = bytes[at + i]!;
    if (c === 0) break;
    s += c >= 0x20 && c <= 0x7e ? String.fromCharCode(c) : '\ufffd';
  }
  return s;
}

function safe(v: number, offset: number, what: string): number | Fail {
  return Number.isNaN(v) ? fail('unsafe-integer', offset, `${what} exceeds 2^53 - 1`) : v;
}

/** Decode the 32-byte packet header (no message walk). */
export function decodeHeader(bytes: Uint8Array): { ok: true; header: PacketHeader } | { ok: false; error: DecodeError } {
  const r = readHeader(bytes, new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return r instanceof Fail ? { ok: false, error: r.error } : { ok: true, header: r };
}

function readHeader(bytes: Uint8Array, v: DataView): PacketHeader | Fail {
  const n = bytes.byteLength;
  if (n < PACKET_HEADER_SIZE) return fail('truncated-header', 0, `datagram of ${n} bytes is shorter than the 32-byte header`);
  if (n > MAX_DATAGRAM_LIMIT) return fail('oversized', 0, `datagram of ${n} bytes exceeds ${MAX_DATAGRAM_LIMIT}`);
  if (bytes[0] !== MAGIC0 || bytes[1] !== MAGIC1) return fail('bad-magic', 0, 'magic is not "OB"');
  const version = bytes[2]!;
  if (version !== WIRE_VERSION) return fail('unsupported-version', 2, `wire version ${version}`);
  const packetLength = v.getUint16(12, true);
  if (packetLength !== n) return fail('length-mismatch', 12, `packetLength ${packetLength} but datagram has ${n} bytes`);
  const seq = safe(readUint64(v, 16), 16, 'sequenceNumber');
  if (seq instanceof Fail) return seq;
  return {
    version,
    flags: bytes[3]!,
    channelId: v.getUint16(4, true),
    messageCount: v.getUint16(6, true),
    sessionId: v.getUint32(8, true),
    packetLength,
    channelType: bytes[14]!,
    sequenceNumber: seq,
    sendingTimeNs: v.getBigUint64(24, true),
  };
}

function readEntries(bytes: Uint8Array, v: DataView, at: number, end: number): BookEntry[] | Fail {
  if (at + GROUP_HEADER_SIZE > end) return fail('bad-group', at, 'entry group header runs past the message');
  const entryLength = v.getUint16(at, true);
  const count = v.getUint16(at + 2, true);
  if (entryLength < ENTRY_SIZE) return fail('bad-group', at, `entry blockLength ${entryLength} < ${ENTRY_SIZE}`);
  const first = at + GROUP_HEADER_SIZE;
  if (first + count * entryLength > end) return fail('bad-group', at, `${count} entries of ${entryLength} bytes run past the message`);
  const entries: BookEntry[] = [];
  for (let i = 0; i < count; i++) {
    const e = first + i * entryLength;
    const price = safe(readInt64(v, e), e, 'price');
    if (price instanceof Fail) return price;
    const size = safe(readInt64(v, e + 8), e + 8, 'size');
    if (size instanceof Fail) return size;
    entries.push({ price, size, orderCount: v.getUint32(e + 16, true), side: bytes[e + 20]!, action: bytes[e + 21]! });
  }
  return entries;
}

/** Decode one known message; `b` is the root block start and `end` the message end. */
function readMessage(bytes: Uint8Array, v: DataView, templateId: number, b: number, blockLength: number, end: number): ObmcMessage | Fail {
  switch (templateId) {
    case TemplateId.SYSTEM_EVENT: {
      const last = safe(readUint64(v, b + 16), b + 16, 'lastIncrementalSeq');
      if (last instanceof Fail) return last;
      return {
        type: 'SystemEvent',
        timestampNs: v.getBigUint64(b, true),
        eventCode: bytes[b + 8]!,
        instrumentCount: v.getUint32(b + 12, true),
        lastIncrementalSeq: last,
        cycleId: v.getUint32(b + 24, true),
      };
    }
    case TemplateId.INSTRUMENT_DEFINITION: {
      const tick = safe(readInt64(v, b + 8), b + 8, 'tickSize');
      if (tick instanceof Fail) return tick;
      const lot = safe(readInt64(v, b + 16), b + 16, 'lotSize');
      if (lot instanceof Fail) return lot;
      return {
        type: 'InstrumentDefinition',
        instrumentId: v.getUint32(b, true),
        definitionVersion: v.getUint16(b + 4, true),
        priceExponent: v.getInt8(b + 6),
        sizeExponent: v.getInt8(b + 7),
        tickSize: tick,
        lotSize: lot,
        updateTimeNs: v.getBigUint64(b + 24, true),
        maxDepth: v.getUint16(b + 32, true),
        instrumentType: bytes[b + 34]!,
        exchange: readAscii(bytes, b + 36, 16),
        symbol: readAscii(bytes, b + 52, 32),
        baseAsset: readAscii(bytes, b + 84, 16),
        quoteAsset: readAscii(bytes, b + 100, 16),
      };
    }
    case TemplateId.INSTRUMENT_STATUS: {
      const bookSeq = safe(readUint64(v, b + 8), b + 8, 'bookSeq');
      if (bookSeq instanceof Fail) return bookSeq;
      const tradeSeq = safe(readUint64(v, b + 16), b + 16, 'tradeSeq');
      if (tradeSeq instanceof Fail) return tradeSeq;
      return {
        type: 'InstrumentStatus',
        instrumentId: v.getUint32(b, true),
        status: bytes[b + 4]!,
        reason: bytes[b + 5]!,
        bookSeq,
        tradeSeq,
        timestampNs: v.getBigUint64(b + 24, true),
        bookChecksum: v.getUint32(b + 32, true),
      };
    }
    case TemplateId.BOOK_DELTA: {
      const bookSeq = safe(readUint64(v, b + 8), b + 8, 'bookSeq');
      if (bookSeq instanceof Fail) return bookSeq;
      const entries = readEntries(bytes, v, b + blockLength, end);
      if (entries instanceof Fail) return entries;
      return {
        type: 'BookDelta',
        instrumentId: v.getUint32(b, true),
        priceExponent: v.getInt8(b + 4),
        sizeExponent: v.getInt8(b + 5),
        flags: bytes[b + 6]!,
        bookSeq,
        exchangeTimeNs: v.getBigUint64(b + 16, true),
        entries,
      };
    }
    case TemplateId.BOOK_SNAPSHOT: {
      const bookSeq = safe(readUint64(v, b + 8), b + 8, 'bookSeq');
      if (bookSeq instanceof Fail) return bookSeq;
      const last = safe(readUint64(v, b + 16), b + 16, 'lastIncrementalSeq');
      if (last instanceof Fail) return last;
      const entries = readEntries(bytes, v, b + blockLength, end);
      if (entries instanceof Fail) return entries;
      return {
        type: 'BookSnapshot',
        instrumentId: v.getUint32(b, true),
        priceExponent: v.getInt8(b + 4),
        sizeExponent: v.getInt8(b + 5),
        flags: bytes[b + 6]!,
        status: bytes[b + 7]!,
        bookSeq,
        lastIncrementalSeq: last,
        exchangeTimeNs: v.getBigUint64(b + 24, true),
        chunkIndex: v.getUint16(b + 32, true),
        chunkCount: v.getUint16(b + 34, true),
        depth: v.getUint16(b + 36, true),
        bookChecksum: v.getUint32(b + 40, true),
        entries,
      };
    }
    case TemplateId.TRADE: {
      const tradeSeq = safe(readUint64(v, b + 8), b + 8, 'tradeSeq');
      if (tradeSeq instanceof Fail) return tradeSeq;
      const price = safe(readInt64(v, b + 16), b + 16, 'price');
      if (price instanceof Fail) return price;
      const size = safe(readInt64(v, b + 24), b + 24, 'size');
      if (size instanceof Fail) return size;
      return {
        type: 'Trade',
        instrumentId: v.getUint32(b, true),
        priceExponent: v.getInt8(b + 4),
        sizeExponent: v.getInt8(b + 5),
        aggressorSide: bytes[b + 6]!,
        flags: bytes[b + 7]!,
        tradeSeq,
        price,
        size,
        exchangeTimeNs: v.getBigUint64(b + 32, true),
        venueTradeId: v.getBigUint64(b + 40, true),
      };
    }
    default:
      return fail('internal', b, `readMessage called for template ${templateId}`);
  }
}

function walk(bytes: Uint8Array): DecodedPacket | Fail {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header = readHeader(bytes, v);
  if (header instanceof Fail) return header;
  const n = header.packetLength;
  if ((header.flags & (PacketFlags.HEARTBEAT | PacketFlags.END_OF_SESSION)) !== 0 && header.messageCount !== 0) {
    return fail('count-mismatch', 6, `heartbeat/end-of-session packet declares ${header.messageCount} messages`);
  }
  const messages: DecodedMessage[] = [];
  const skipped: SkippedMessage[] = [];
  let at = PACKET_HEADER_SIZE;
  let index = 0;
  while (at < n) {
    if (index >= header.messageCount) return fail('count-mismatch', at, `bytes remain after ${header.messageCount} messages`);
    if (at + 2 > n) return fail('bad-message-length', at, 'message length field runs past the packet');
    const length = v.getUint16(at, true);
    if (length < MESSAGE_HEADER_SIZE) return fail('bad-message-length', at, `messageLength ${length} < ${MESSAGE_HEADER_SIZE}`);
    const end = at + length;
    if (end > n) return fail('bad-message-length', at, `messageLength ${length} runs past the packet end ${n}`);
    const blockLength = v.getUint16(at + 2, true);
    const templateId = v.getUint16(at + 4, true);
    const schemaId = v.getUint16(at + 6, true);
    const seq = header.sequenceNumber + index;
    const minBlock = MIN_BLOCK[templateId];
    if (schemaId !== SCHEMA_ID || minBlock === undefined) {
      skipped.push({ seq, templateId, schemaId, offset: at, length });
    } else {
      const b = at + MESSAGE_HEADER_SIZE;
      if (blockLength < minBlock) return fail('short-block', at + 2, `template ${templateId} blockLength ${blockLength} < ${minBlock}`);
      if (b + blockLength > end) return fail('short-block', at + 2, `template ${templateId} blockLength ${blockLength} runs past the message`);
      const m = readMessage(bytes, v, templateId, b, blockLength, end);
      if (m instanceof Fail) return m;
      messages.push({ seq, message: m });
    }
    at = end;
    index++;
  }
  if (index !== header.messageCount) {
    return fail('count-mismatch', 6, `messageCount ${header.messageCount} but ${index} messages present`);
  }
  return { header, messages, skipped };
}

/** Decode one datagram. Never throws. */
export function decodePacket(bytes: Uint8Array): DecodeResult {
  try {
    const r = walk(bytes);
    return r instanceof Fail ? { ok: false, error: r.error } : { ok: true, packet: r };
  } catch (err) {
    // Every read above is bounds-checked first; reaching this is a decoder bug. It is still
    // returned, not thrown, so one bad datagram cannot stop a socket's message loop.
    return { ok: false, error: { code: 'internal', offset: 0, detail: String(err) } };
  }
}
