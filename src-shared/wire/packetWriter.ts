/**
 * OBMC/1 encoder: fills one datagram at a time in a reusable buffer.
 *
 * The publisher's hot path writes messages field by field (no message objects per delta); the
 * object form `encodePacket` is for tools, tests and golden vectors. A write that would make the
 * datagram exceed `maxDatagram` is refused (returns false) and leaves the packet unchanged, so a
 * packet can never exceed the configured size. Values that cannot be represented (an unsafe
 * mantissa, a 40-character symbol, an exponent outside i8) are caller bugs -- the engine keeps
 * every mantissa safe and the publisher validates definitions when it registers an instrument --
 * and throw RangeError, as the design's prototype does (2.6).
 */
import { writeInt64 } from './int64.ts';
import {
  BlockLength,
  DEFAULT_MAX_DATAGRAM,
  DefinitionStringSize,
  ENTRY_SIZE,
  GROUP_HEADER_SIZE,
  MAGIC0,
  MAGIC1,
  MAX_DATAGRAM_LIMIT,
  MESSAGE_HEADER_SIZE,
  MIN_DATAGRAM,
  MessageSize,
  PACKET_HEADER_SIZE,
  SCHEMA_ID,
  SCHEMA_VERSION,
  TemplateId,
  WIRE_VERSION,
  type BookDelta,
  type BookEntry,
  type BookSnapshot,
  type InstrumentDefinition,
  type InstrumentStatus,
  type ObmcMessage,
  type SystemEvent,
  type Trade,
} from './obmcMessage.ts';

export interface PacketHeaderInit {
  flags: number;
  channelId: number;
  sessionId: number;
  channelType: number;
  sequenceNumber: number;
  sendingTimeNs: bigint;
}

/** The root fields of a BookSnapshot chunk (its entries are added with addEntry). */
export type BookSnapshotHead = Omit<BookSnapshot, 'type' | 'entries'>;

const U64_MAX = (1n << 64n) - 1n;

function checkSafe(v: number, what: string): void {
  if (!Number.isSafeInteger(v)) throw new RangeError(`OBMC: ${what} ${v} is not a safe integer`);
}

/** Mantissas: integers held exactly by a double within i64 (decimal.ts guarantees the exactness). */
function checkMantissa(v: number, what: string): void {
  if (!Number.isInteger(v) || v < -(2 ** 63) || !(v < 2 ** 63)) throw new RangeError(`OBMC: ${what} ${v} is not an i64 mantissa`);
}

function checkUnsigned(v: number, max: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`OBMC: ${what} ${v} out of range 0..${max}`);
}

function checkExponent(v: number, what: string): void {
  if (!Number.isInteger(v) || v < -128 || v > 127) throw new RangeError(`OBMC: ${what} ${v} is not an i8`);
}

function checkTime(v: bigint, what: string): void {
  if (v < 0n || v > U64_MAX) throw new RangeError(`OBMC: ${what} ${v} is not a u64`);
}

/** True when `s` is printable ASCII that fits a NUL-padded field of `size` bytes. */
export function asciiFits(s: string, size: number): boolean {
  if (s.length > size) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

export class PacketWriter {
  readonly maxDatagram: number;
  private readonly bytes: Uint8Array;
  private readonly view: DataView;
  private len = 0;
  private count = 0;
  /** Start of the open book message (BookDelta / BookSnapshot), -1 when none. */
  private bookStart = -1;
  private bookEntries = 0;

  constructor(maxDatagram = DEFAULT_MAX_DATAGRAM) {
    if (!Number.isInteger(maxDatagram) || maxDatagram < MIN_DATAGRAM || maxDatagram > MAX_DATAGRAM_LIMIT) {
      throw new RangeError(`OBMC: maxDatagram ${maxDatagram} outside ${MIN_DATAGRAM}..${MAX_DATAGRAM_LIMIT}`);
    }
    this.maxDatagram = maxDatagram;
    this.bytes = new Uint8Array(maxDatagram);
    this.view = new DataView(this.bytes.buffer);
  }

  /** Start a packet. Any previous packet's bytes are overwritten. */
  begin(h: PacketHeaderInit): void {
    checkUnsigned(h.channelId, 0xffff, 'channelId');
    checkUnsigned(h.sessionId, 0xffffffff, 'sessionId');
    checkUnsigned(h.sequenceNumber, Number.MAX_SAFE_INTEGER, 'sequenceNumber');
    const v = this.view;
    this.bytes.fill(0, 0, PACKET_HEADER_SIZE);
    v.setUint8(0, MAGIC0);
    v.setUint8(1, MAGIC1);
    v.setUint8(2, WIRE_VERSION);
    v.setUint8(3, h.flags);
    v.setUint16(4, h.channelId, true);
    v.setUint32(8, h.sessionId, true);
    v.setUint8(14, h.channelType);
    writeInt64(v, 16, h.sequenceNumber);
    this.setSendingTime(h.sendingTimeNs);
    this.len = PACKET_HEADER_SIZE;
    this.count = 0;
    this.bookStart = -1;
    this.bookEntries = 0;
  }

  /** Bytes written so far, header included. */
  get length(): number {
    return this.len;
  }

  get messageCount(): number {
    return this.count;
  }

  remaining(): number {
    return this.maxDatagram - this.len;
  }

  fits(bytes: number): boolean {
    return this.len + bytes <= this.maxDatagram;
  }

  /** The header's first sequence number (for callers that track the implied seqs). */
  get sequenceNumber(): number {
    return this.view.getUint32(16, true) + this.view.getUint32(20, true) * 4294967296;
  }

  setFlags(flags: number): void {
    this.view.setUint8(3, flags);
  }

  setSendingTime(ns: bigint): void {
    checkTime(ns, 'sendingTime');
    this.view.setBigUint64(24, ns, true);
  }

  private messageHeader(at: number, length: number, blockLength: number, templateId: number): void {
    const v = this.view;
    v.setUint16(at, length, true);
    v.setUint16(at + 2, blockLength, true);
    v.setUint16(at + 4, templateId, true);
    v.setUint16(at + 6, SCHEMA_ID, true);
    v.setUint16(at + 8, SCHEMA_VERSION, true);
  }

  private closeOpenBook(): void {
    if (this.bookStart >= 0) this.endMessage();
  }

  writeSystemEvent(m: Omit<SystemEvent, 'type'>): boolean {
    this.closeOpenBook();
    if (!this.fits(MessageSize.SYSTEM_EVENT)) return false;
    checkTime(m.timestampNs, 'timestamp');
    checkUnsigned(m.lastIncrementalSeq, Number.MAX_SAFE_INTEGER, 'lastIncrementalSeq');
    const at = this.len;
    const b = at + MESSAGE_HEADER_SIZE;
    const v = this.view;
    this.bytes.fill(0, at, at + MessageSize.SYSTEM_EVENT);
    this.messageHeader(at, MessageSize.SYSTEM_EVENT, BlockLength.SYSTEM_EVENT, TemplateId.SYSTEM_EVENT);
    v.setBigUint64(b, m.timestampNs, true);
    v.setUint8(b + 8, m.eventCode);
    v.setUint32(b + 12, m.instrumentCount, true);
    writeInt64(v, b + 16, m.lastIncrementalSeq);
    v.setUint32(b + 24, m.cycleId, true);
    this.len += MessageSize.SYSTEM_EVENT;
    this.count++;
    return true;
  }

  writeInstrumentDefinition(m: Omit<InstrumentDefinition, 'type'>): boolean {
    this.closeOpenBook();
    if (!this.fits(MessageSize.INSTRUMENT_DEFINITION)) return false;
    checkExponent(m.priceExponent, 'priceExponent');
    checkExponent(m.sizeExponent, 'sizeExponent');
    checkSafe(m.tickSize, 'tickSize');
    checkSafe(m.lotSize, 'lotSize');
    checkTime(m.updateTimeNs, 'updateTime');
    for (const key of ['exchange', 'symbol', 'baseAsset', 'quoteAsset'] as const) {
      if (!asciiFits(m[key], DefinitionStringSize[key])) {
        throw new RangeError(`OBMC: ${key} "${m[key]}" is not printable ASCII of at most ${DefinitionStringSize[key]} bytes`);
      }
    }
    const at = this.len;
    const b = at + MESSAGE_HEADER_SIZE;
    const v = this.view;
    this.bytes.fill(0, at, at + MessageSize.INSTRUMENT_DEFINITION);
    this.messageHeader(at, MessageSize.INSTRUMENT_DEFINITION, BlockLength.INSTRUMENT_DEFINITION, TemplateId.INSTRUMENT_DEFINITION);
    v.setUint32(b, m.instrumentId, true);
    v.setUint16(b + 4, m.definitionVersion, true);
    v.setInt8(b + 6, m.priceExponent);
    v.setInt8(b + 7, m.sizeExponent);
    writeInt64(v, b + 8, m.tickSize);
    writeInt64(v, b + 16, m.lotSize);
    v.setBigUint64(b + 24, m.updateTimeNs, true);
    v.setUint16(b + 32, m.maxDepth, true);
    v.setUint8(b + 34, m.instrumentType);
    this.ascii(b + 36, m.exchange);
    this.ascii(b + 52, m.symbol);
    this.ascii(b + 84, m.baseAsset);
    this.ascii(b + 100, m.quoteAsset);
    this.len += MessageSize.INSTRUMENT_DEFINITION;
    this.count++;
    return true;
  }

  private ascii(at: number, s: string): void {
    for (let i = 0; i < s.length; i++) this.bytes[at + i] = s.charCodeAt(i);
  }

  writeInstrumentStatus(m: Omit<InstrumentStatus, 'type'>): boolean {
    this.closeOpenBook();
    if (!this.fits(MessageSize.INSTRUMENT_STATUS)) return false;
    checkUnsigned(m.bookSeq, Number.MAX_SAFE_INTEGER, 'bookSeq');
    checkUnsigned(m.tradeSeq, Number.MAX_SAFE_INTEGER, 'tradeSeq');
    checkTime(m.timestampNs, 'timestamp');
    const at = this.len;
    const b = at + MESSAGE_HEADER_SIZE;
    const v = this.view;
    this.bytes.fill(0, at, at + MessageSize.INSTRUMENT_STATUS);
    this.messageHeader(at, MessageSize.INSTRUMENT_STATUS, BlockLength.INSTRUMENT_STATUS, TemplateId.INSTRUMENT_STATUS);
    v.setUint32(b, m.instrumentId, true);
    v.setUint8(b + 4, m.status);
    v.setUint8(b + 5, m.reason);
    writeInt64(v, b + 8, m.bookSeq);
    writeInt64(v, b + 16, m.tradeSeq);
    v.setBigUint64(b + 24, m.timestampNs, true);
    v.setUint32(b + 32, m.bookChecksum, true);
    this.len += MessageSize.INSTRUMENT_STATUS;
    this.count++;
    return true;
  }

  writeTrade(m: Omit<Trade, 'type'>): boolean {
    this.closeOpenBook();
    if (!this.fits(MessageSize.TRADE)) return false;
    checkExponent(m.priceExponent, 'priceExponent');
    checkExponent(m.sizeExponent, 'sizeExponent');
    checkUnsigned(m.tradeSeq, Number.MAX_SAFE_INTEGER, 'tradeSeq');
    checkMantissa(m.price, 'price');
    checkMantissa(m.size, 'size');
    checkTime(m.exchangeTimeNs, 'exchangeTime');
    checkTime(m.venueTradeId, 'venueTradeId');
    const at = this.len;
    const b = at + MESSAGE_HEADER_SIZE;
    const v = this.view;
    this.messageHeader(at, MessageSize.TRADE, BlockLength.TRADE, TemplateId.TRADE);
    v.setUint32(b, m.instrumentId, true);
    v.setInt8(b + 4, m.priceExponent);
    v.setInt8(b + 5, m.sizeExponent);
    v.setUint8(b + 6, m.aggressorSide);
    v.setUint8(b + 7, m.flags);
    writeInt64(v, b + 8, m.tradeSeq);
    writeInt64(v, b + 16, m.price);
    writeInt64(v, b + 24, m.size);
    v.setBigUint64(b + 32, m.exchangeTimeNs, true);
    v.setBigUint64(b + 40, m.venueTradeId, true);
    this.len += MessageSize.TRADE;
    this.count++;
    return true;
  }

  /**
   * Open a BookDelta; entries follow with addEntry and endMessage closes it (the next write
   * closes it implicitly). Returns false when not even the message without entries fits.
   */
  beginBookDelta(
    instrumentId: number,
    priceExponent: number,
    sizeExponent: number,
    flags: number,
    bookSeq: number,
    exchangeTimeNs: bigint,
  ): boolean {
    this.closeOpenBook();
    if (!this.fits(MessageSize.BOOK_DELTA_BASE)) return false;
    checkExponent(priceExponent, 'priceExponent');
    checkExponent(sizeExponent, 'sizeExponent');
    checkUnsigned(bookSeq, Number.MAX_SAFE_INTEGER, 'bookSeq');
    checkTime(exchangeTimeNs, 'exchangeTime');
    const at = this.len;
    const b = at + MESSAGE_HEADER_SIZE;
    const v = this.view;
    this.messageHeader(at, 0, BlockLength.BOOK_DELTA, TemplateId.BOOK_DELTA);
    v.setUint32(b, instrumentId, true);
    v.setInt8(b + 4, priceExponent);
    v.setInt8(b + 5, sizeExponent);
    v.setUint8(b + 6, flags);
    v.setUint8(b + 7, 0);
    writeInt64(v, b + 8, bookSeq);
    v.setBigUint64(b + 16, exchangeTimeNs, true);
    this.openGroup(at, b + BlockLength.BOOK_DELTA);
    return true;
  }

  /** Open a BookSnapshot chunk; see beginBookDelta. */
  beginBookSnapshot(h: BookSnapshotHead): boolean {
    this.closeOpenBook();
    if (!this.fits(MessageSize.BOOK_SNAPSHOT_BASE)) return false;
    checkExponent(h.priceExponent, 'priceExponent');
    checkExponent(h.sizeExponent, 'sizeExponent');
    checkUnsigned(h.bookSeq, Number.MAX_SAFE_INTEGER, 'bookSeq');
    checkUnsigned(h.lastIncrementalSeq, Number.MAX_SAFE_INTEGER, 'lastIncrementalSeq');
    checkTime(h.exchangeTimeNs, 'exchangeTime');
    const at = this.len;
    const b = at + MESSAGE_HEADER_SIZE;
    const v = this.view;
    this.bytes.fill(0, at, at + MessageSize.BOOK_SNAPSHOT_BASE);
    this.messageHeader(at, 0, BlockLength.BOOK_SNAPSHOT, TemplateId.BOOK_SNAPSHOT);
    v.setUint32(b, h.instrumentId, true);
    v.setInt8(b + 4, h.priceExponent);
    v.setInt8(b + 5, h.sizeExponent);
    v.setUint8(b + 6, h.flags);
    v.setUint8(b + 7, h.status);
    writeInt64(v, b + 8, h.bookSeq);
    writeInt64(v, b + 16, h.lastIncrementalSeq);
    v.setBigUint64(b + 24, h.exchangeTimeNs, true);
    v.setUint16(b + 32, h.chunkIndex, true);
    v.setUint16(b + 34, h.chunkCount, true);
    v.setUint16(b + 36, h.depth, true);
    v.setUint32(b + 40, h.bookChecksum, true);
    this.openGroup(at, b + BlockLength.BOOK_SNAPSHOT);
    return true;
  }

  private openGroup(messageStart: number, groupAt: number): void {
    this.view.setUint16(groupAt, ENTRY_SIZE, true);
    this.view.setUint16(groupAt + 2, 0, true);
    this.bookStart = messageStart;
    this.bookEntries = 0;
    this.len = groupAt + GROUP_HEADER_SIZE;
    this.count++;
  }

  /** Entries that still fit in this packet after the open book message. */
  entryRoom(): number {
    return Math.floor(this.remaining() / ENTRY_SIZE);
  }

  /** Append one entry to the open book message; false when the packet is full. */
  addEntry(price: number, size: number, orderCount: number, side: number, action: number): boolean {
    if (this.bookStart < 0) throw new RangeError('OBMC: addEntry without an open book message');
    if (!this.fits(ENTRY_SIZE)) return false;
    checkMantissa(price, 'price');
    checkMantissa(size, 'size');
    const at = this.len;
    const v = this.view;
    writeInt64(v, at, price);
    writeInt64(v, at + 8, size);
    v.setUint32(at + 16, orderCount, true);
    v.setUint8(at + 20, side);
    v.setUint8(at + 21, action);
    v.setUint16(at + 22, 0, true);
    this.len += ENTRY_SIZE;
    this.bookEntries++;
    return true;
  }

  /** Set the flags byte of the open book message (END_OF_EVENT is only known at the end). */
  setBookFlags(flags: number): void {
    if (this.bookStart < 0) throw new RangeError('OBMC: setBookFlags without an open book message');
    this.view.setUint8(this.bookStart + MESSAGE_HEADER_SIZE + 6, flags);
  }

  /** Close the open book message: patch its length and entry count. */
  endMessage(): void {
    const at = this.bookStart;
    if (at < 0) return;
    const v = this.view;
    const blockLength = v.getUint16(at + 2, true);
    v.setUint16(at, this.len - at, true);
    v.setUint16(at + MESSAGE_HEADER_SIZE + blockLength + 2, this.bookEntries, true);
    this.bookStart = -1;
    this.bookEntries = 0;
  }

  /**
   * Patch messageCount and packetLength and return the datagram. The view aliases the writer's
   * buffer and is valid until the next begin(): copy it before handing it to an async send.
   */
  finish(): Uint8Array {
    this.closeOpenBook();
    this.view.setUint16(6, this.count, true);
    this.view.setUint16(12, this.len, true);
    return this.bytes.subarray(0, this.len);
  }
}

export type EncodeResult = { ok: true; bytes: Uint8Array } | { ok: false; error: 'too-large'; detail: string };

function writeEntries(w: PacketWriter, entries: readonly BookEntry[]): boolean {
  for (const e of entries) if (!w.addEntry(e.price, e.size, e.orderCount, e.side, e.action)) return false;
  return true;
}

/**
 * Encode one complete packet from message objects (tools, tests, golden vectors). messageCount,
 * packetLength and the implied seqs follow from `messages`. Returns a fresh copy.
 */
export function encodePacket(
  header: PacketHeaderInit,
  messages: readonly ObmcMessage[],
  maxDatagram = DEFAULT_MAX_DATAGRAM,
): EncodeResult {
  const w = new PacketWriter(maxDatagram);
  w.begin(header);
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    let ok: boolean;
    switch (m.type) {
      case 'SystemEvent':
        ok = w.writeSystemEvent(m);
        break;
      case 'InstrumentDefinition':
        ok = w.writeInstrumentDefinition(m);
        break;
      case 'InstrumentStatus':
        ok = w.writeInstrumentStatus(m);
        break;
      case 'Trade':
        ok = w.writeTrade(m);
        break;
      case 'BookDelta': {
        const d: BookDelta = m;
        ok =
          w.beginBookDelta(d.instrumentId, d.priceExponent, d.sizeExponent, d.flags, d.bookSeq, d.exchangeTimeNs) &&
          writeEntries(w, d.entries);
        w.endMessage();
        break;
      }
      case 'BookSnapshot':
        ok = w.beginBookSnapshot(m) && writeEntries(w, m.entries);
        w.endMessage();
        break;
    }
    if (!ok) return { ok: false, error: 'too-large', detail: `message #${i} (${m.type}) does not fit in ${maxDatagram} bytes` };
  }
  return { ok: true, bytes: w.finish().slice() };
}
