/**
 * OBMC/1 -- the order-book multicast protocol: constants, layouts and message shapes.
 *
 * Normative description: docs/PROTOCOLS.md (derived from the design note
 * ../shared/docs/multicast.md sections 2.2-2.7). Every offset below is pinned by the golden
 * vectors in ../shared/docs/multicast-golden and by tests/unit/wire. Everything is
 * little-endian. Enumerations are plain `as const` objects (erasable syntax) whose values are the
 * u8 codes on the wire; decoders pass unknown codes through unchanged so that a newer publisher
 * never crashes an older receiver (the receiver decides what an unknown code means).
 */

/** ASCII "OB": readable in a hex dump and usable as a dissector heuristic. */
export const MAGIC0 = 0x4f;
export const MAGIC1 = 0x42;
/** Wire-protocol major version: changes only when the header or the framing changes. */
export const WIRE_VERSION = 1;
/** SBE schema id carried by every message. Messages of another schema are skipped. */
export const SCHEMA_ID = 1;
/**
 * Schema version written by this encoder. The golden vectors carry 0 (SBE's default for the first
 * version of a schema); decoders treat anything newer through the wire blockLength.
 */
export const SCHEMA_VERSION = 0;

export const PACKET_HEADER_SIZE = 32;
export const MESSAGE_HEADER_SIZE = 10;
export const GROUP_HEADER_SIZE = 4;
export const ENTRY_SIZE = 24;

/** Default datagram budget: below the IPv6 limit with room for tunnels (design 2.8). */
export const DEFAULT_MAX_DATAGRAM = 1400;
/** 1500-byte Ethernet MTU minus IPv4 + UDP headers: above this the kernel fragments. */
export const MAX_DATAGRAM_LIMIT = 1472;
/**
 * Smallest budget the encoder accepts: one snapshot-loop packet must hold a definition, a status
 * and a snapshot chunk with at least one entry (32 + 126 + 50 + 62 + 24 = 294).
 */
export const MIN_DATAGRAM = 294;

export const PacketFlags = {
  HEARTBEAT: 0x01,
  END_OF_SESSION: 0x02,
  RETRANSMIT: 0x04,
  SESSION_START: 0x08,
} as const;

export const ChannelType = {
  INCREMENTAL: 1,
  SNAPSHOT: 2,
} as const;
export type ChannelTypeCode = (typeof ChannelType)[keyof typeof ChannelType];

export const TemplateId = {
  SYSTEM_EVENT: 1,
  INSTRUMENT_DEFINITION: 2,
  INSTRUMENT_STATUS: 3,
  BOOK_DELTA: 4,
  BOOK_SNAPSHOT: 5,
  TRADE: 6,
} as const;

/** Root block lengths written by this schema version (decoders accept longer ones). */
export const BlockLength = {
  SYSTEM_EVENT: 32,
  INSTRUMENT_DEFINITION: 116,
  INSTRUMENT_STATUS: 40,
  BOOK_DELTA: 24,
  BOOK_SNAPSHOT: 48,
  TRADE: 48,
} as const;

export const SystemEventCode = {
  START_OF_SESSION: 1,
  END_OF_SESSION: 2,
  CHANNEL_RESET: 3,
  SNAPSHOT_CYCLE_START: 4,
  SNAPSHOT_CYCLE_END: 5,
} as const;

export const InstrumentStatusCode = {
  TRADING: 1,
  HALTED: 2,
  VENUE_DISCONNECTED: 3,
  RESYNCING: 4,
  CLOSED: 5,
  UNKNOWN: 6,
} as const;

export const InstrumentTypeCode = {
  SPOT: 1,
  PERPETUAL: 2,
  FUTURE: 3,
  OPTION: 4,
} as const;

export const EntrySide = { BID: 1, ASK: 2 } as const;
export const EntryAction = { SET: 1, DELETE: 2 } as const;
export const AggressorSide = { UNKNOWN: 0, BUY: 1, SELL: 2 } as const;

/** BookDelta.flags bit0: last message of one upstream event (CME MatchEventIndicator bit 7). */
export const BOOK_DELTA_END_OF_EVENT = 0x01;
/** BookSnapshot.flags bit0: replace the book and consume a bookSeq (inline on INC). */
export const BOOK_SNAPSHOT_RESET = 0x01;

/** orderCount null value (SBE: all ones for unsigned). */
export const ORDER_COUNT_UNKNOWN = 0xffffffff;

/** Fixed-size ASCII fields of InstrumentDefinition. */
export const DefinitionStringSize = {
  exchange: 16,
  symbol: 32,
  baseAsset: 16,
  quoteAsset: 16,
} as const;

/** Bytes one message of each kind takes on the wire (framing + root block [+ group header]). */
export const MessageSize = {
  SYSTEM_EVENT: MESSAGE_HEADER_SIZE + BlockLength.SYSTEM_EVENT,
  INSTRUMENT_DEFINITION: MESSAGE_HEADER_SIZE + BlockLength.INSTRUMENT_DEFINITION,
  INSTRUMENT_STATUS: MESSAGE_HEADER_SIZE + BlockLength.INSTRUMENT_STATUS,
  BOOK_DELTA_BASE: MESSAGE_HEADER_SIZE + BlockLength.BOOK_DELTA + GROUP_HEADER_SIZE,
  BOOK_SNAPSHOT_BASE: MESSAGE_HEADER_SIZE + BlockLength.BOOK_SNAPSHOT + GROUP_HEADER_SIZE,
  TRADE: MESSAGE_HEADER_SIZE + BlockLength.TRADE,
} as const;

export interface PacketHeader {
  version: number;
  flags: number;
  channelId: number;
  messageCount: number;
  sessionId: number;
  packetLength: number;
  channelType: number;
  /** Seq of the first message; heartbeat / end of session: the next expected seq. */
  sequenceNumber: number;
  /** Publisher clock at send, ns since the Unix epoch. */
  sendingTimeNs: bigint;
}

/** One price level as carried in BookDelta / BookSnapshot. Mantissas at the message exponents. */
export interface BookEntry {
  price: number;
  size: number;
  /** ORDER_COUNT_UNKNOWN when the venue does not say. */
  orderCount: number;
  /** EntrySide code (1 bid, 2 ask); other values are passed through for the receiver to reject. */
  side: number;
  /** EntryAction code (1 set, 2 delete). */
  action: number;
}

export interface SystemEvent {
  type: 'SystemEvent';
  timestampNs: bigint;
  eventCode: number;
  instrumentCount: number;
  lastIncrementalSeq: number;
  cycleId: number;
}

export interface InstrumentDefinition {
  type: 'InstrumentDefinition';
  instrumentId: number;
  definitionVersion: number;
  priceExponent: number;
  sizeExponent: number;
  /** Tick and lot as mantissas at the price / size exponent; 0 = not known. */
  tickSize: number;
  lotSize: number;
  updateTimeNs: bigint;
  /** Levels published per side (N). */
  maxDepth: number;
  instrumentType: number;
  exchange: string;
  symbol: string;
  baseAsset: string;
  quoteAsset: string;
}

export interface InstrumentStatus {
  type: 'InstrumentStatus';
  instrumentId: number;
  status: number;
  reason: number;
  bookSeq: number;
  tradeSeq: number;
  timestampNs: bigint;
  /** bookChecksum() of the published book at bookSeq; 0 = not provided. */
  bookChecksum: number;
}

export interface BookDelta {
  type: 'BookDelta';
  instrumentId: number;
  priceExponent: number;
  sizeExponent: number;
  flags: number;
  bookSeq: number;
  /** 0n = unknown. */
  exchangeTimeNs: bigint;
  entries: BookEntry[];
}

export interface BookSnapshot {
  type: 'BookSnapshot';
  instrumentId: number;
  priceExponent: number;
  sizeExponent: number;
  flags: number;
  status: number;
  bookSeq: number;
  lastIncrementalSeq: number;
  exchangeTimeNs: bigint;
  chunkIndex: number;
  chunkCount: number;
  /** Levels per side in the whole snapshot (the larger side when they differ). */
  depth: number;
  bookChecksum: number;
  entries: BookEntry[];
}

export interface Trade {
  type: 'Trade';
  instrumentId: number;
  priceExponent: number;
  sizeExponent: number;
  aggressorSide: number;
  flags: number;
  tradeSeq: number;
  price: number;
  size: number;
  exchangeTimeNs: bigint;
  /** Numeric venue trade id, 0n when the venue's id is not a u64. */
  venueTradeId: bigint;
}

export type ObmcMessage = SystemEvent | InstrumentDefinition | InstrumentStatus | BookDelta | BookSnapshot | Trade;
