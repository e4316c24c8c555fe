/**
 * OBMC/1 multicast publisher (docs/PROTOCOLS.md; design ../shared/docs/multicast.md section 2).
 *
 * The engine calls `onBook` after every message it applies to a book and `onTrade` for every
 * trade. Per instrument the publisher keeps the window it has published (top N per side) and,
 * after each upstream event, sends the difference as BookDelta messages: deletes for prices that
 * left the window, sets for prices that entered or changed, END_OF_EVENT on the last message.
 * Only books that are live and exact are published; when a book stops being so the instrument
 * gets an InstrumentStatus (RESYNCING, HALTED...) and no more deltas, and when it comes back the
 * publisher sends an inline BookSnapshot(RESET) followed by InstrumentStatus(TRADING).
 *
 * Each channel has an incremental stream and a paced snapshot loop that cycles SystemEvent
 * (cycle start), then per instrument one packet [definition, status, snapshot chunk 0] plus any
 * further chunks, then SystemEvent (cycle end). Idle streams get header-only heartbeats, each
 * instrument gets a periodic InstrumentStatus with its book checksum, and close() ends the
 * session with EndOfSession and repeated END_OF_SESSION heartbeats.
 *
 * Everything runs on the caller's thread and in one event-loop turn per upstream event, so a
 * snapshot, its bookSeq and its lastIncrementalSeq are consistent by construction (design 2.13).
 * The hot path (onBook -> diff -> encode) allocates nothing per level: windows and diff buffers
 * are preallocated typed arrays, and encoding goes into a reusable packet buffer; one Buffer is
 * allocated per datagram, because dgram may still hold it after send() returns.
 */
import dgram from 'node:dgram';
import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Instrument, SyncState, Trade as MarketTrade } from '../../../src-shared/model/market.ts';
import { instrumentKey } from '../../../src-shared/model/market.ts';
import { parseScaled, pow10 } from '../../../src-shared/model/decimal.ts';
import { bookChecksum } from '../../../src-shared/wire/bookChecksum.ts';
import { asciiFits, PacketWriter, type BookSnapshotHead } from '../../../src-shared/wire/packetWriter.ts';
import {
  BOOK_DELTA_END_OF_EVENT,
  BOOK_SNAPSHOT_RESET,
  ChannelType,
  DEFAULT_MAX_DATAGRAM,
  DefinitionStringSize,
  ENTRY_SIZE,
  EntryAction,
  InstrumentStatusCode,
  InstrumentTypeCode,
  MAX_DATAGRAM_LIMIT,
  MIN_DATAGRAM,
  MessageSize,
  ORDER_COUNT_UNKNOWN,
  PACKET_HEADER_SIZE,
  PacketFlags,
  SystemEventCode,
  AggressorSide,
} from '../../../src-shared/wire/obmcMessage.ts';
import type { OrderBook } from '../book/orderBook.ts';
import {
  channelEndpoints,
  channelFor,
  endpointProblems,
  isUsableMulticast,
  ipv4ToInt,
  MAX_VENUE_CHANNEL,
  type ChannelGrouping,
} from './channelAddressing.ts';
import { DiffBuffer, PublishedWindow } from './publishedWindow.ts';

export interface PublisherConfig {
  /** Incremental group of channel 1; every other group is derived (channelAddressing.ts). */
  group: string;
  /** Incremental port of channel 1. */
  port: number;
  /** IPv4 address of the interface to send on. Always explicit: the default route leaves the host. */
  interface?: string;
  /** Multicast TTL; 1 keeps the feed on the local segment unless the network routes multicast. */
  ttl?: number;
  /** Deliver to receivers on this host too (desks that run beside the engine). */
  loopback?: boolean;
  /** Datagram budget in bytes (294..1472). */
  maxDatagram?: number;
  /** Levels published per side (N). */
  depth?: number;
  /** One channel per venue (fixed ids), or an explicit assignment. */
  channels?: ChannelGrouping;
  /** Header-only heartbeat after this long without a packet on a stream. */
  heartbeatIntervalMs?: number;
  /** Snapshot-loop pace per channel, in packets per second. */
  snapshotPacketsPerSecond?: number;
  /** Each instrument gets an InstrumentStatus on the incremental stream about this often. */
  statusIntervalMs?: number;
  /** SESSION_START is set on every packet for this long after open. */
  sessionStartFlagMs?: number;
  /** END_OF_SESSION heartbeats sent by close(), and the pause between them. */
  endOfSessionRepeats?: number;
  endOfSessionIntervalMs?: number;
  /** Timer granularity for pacing, heartbeats and statuses (a token bucket, not a timer per packet). */
  tickMs?: number;
  sendBufferSize?: number;
  /** Fixed session id (tests, replays). Default: max(now in s, last persisted + 1). */
  sessionId?: number;
  /** File that remembers the last session id, so two starts in one second still differ. */
  sessionStatePath?: string;
  clock?: PublisherClock;
  /**
   * false: no internal timer and no setImmediate flush; the owner calls tick() and flush()
   * (simulated-time replays, deterministic tests). Default true.
   */
  autoTick?: boolean;
}

/**
 * What the publisher sends through: a bound node:dgram socket in production, an in-memory sink
 * in deterministic tests and simulated-time replays.
 */
export interface DatagramSink {
  send(msg: Buffer, port: number, address: string, callback: (err: Error | null) => void): void;
  close(callback: () => void): void;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

export interface PublisherClock {
  /** Wall clock, ns since the epoch (sendingTime, status timestamps). */
  nowNs(): bigint;
  /** Monotonic milliseconds (pacing, heartbeats). */
  nowMs(): number;
}

/** BigInt epoch base taken once plus hrtime deltas: ns since the epoch exceed 2^53 (design 2.6). */
export function systemClock(): PublisherClock {
  const baseNs = BigInt(Date.now()) * 1_000_000n;
  const baseHr = process.hrtime.bigint();
  return { nowNs: () => baseNs + (process.hrtime.bigint() - baseHr), nowMs: () => performance.now() };
}

export interface PublisherGroupStats {
  channelId: number;
  role: 'incremental' | 'snapshot';
  group: string;
  port: number;
  /** Last sequence number sent on this stream. */
  lastSeq: number;
  packets: number;
  bytes: number;
}

export interface PublisherStats {
  sessionId: number;
  groups: PublisherGroupStats[];
  packets: number;
  bytes: number;
  /** Over the last completed one-second window. */
  packetsPerSec: number;
  bytesPerSec: number;
  /** Instruments whose book is currently published (status TRADING). */
  instrumentsPublished: number;
  instruments: number;
  /** Instruments never published: no channel for them, or names that do not fit the wire. */
  rejectedInstruments: { key: string; reason: string }[];
  resets: number;
  deltas: number;
  trades: number;
  /** Trades dropped: unknown instrument, or more decimals than the instrument's exponent. */
  tradesDropped: number;
  exponentViolations: number;
  snapshotCycles: number;
  lastSnapshotCycleMs: number;
  maxPacketBytes: number;
  sendErrors: number;
  lastSendError: string;
}

export interface PublishedBook {
  instrumentId: number;
  channelId: number;
  exchange: string;
  symbol: string;
  status: number;
  bookSeq: number;
  tradeSeq: number;
  priceExponent: number;
  sizeExponent: number;
  /** Best first, [price, size] mantissas at the exponents. */
  bids: [number, number][];
  asks: [number, number][];
  checksum: number;
}

export type PublisherOpenResult =
  | { ok: true; publisher: MulticastPublisher }
  | { ok: false; error: { code: 'invalid-config' | 'socket'; detail: string } };

interface Stream {
  readonly channelId: number;
  readonly channelType: number;
  readonly group: string;
  readonly port: number;
  readonly writer: PacketWriter;
  nextSeq: number;
  open: boolean;
  lastSendMs: number;
  packets: number;
  bytes: number;
}

interface ChannelOut {
  readonly channelId: number;
  readonly inc: Stream;
  readonly snap: Stream;
  readonly instruments: InstrumentOut[];
  /** -1: cycle start next; 0..n-1: instrument index; n: cycle end next. */
  loopPhase: number;
  cycleId: number;
  cycleStartMs: number;
  tokens: number;
  statusCursor: number;
  statusBudget: number;
}

interface InstrumentOut {
  readonly id: number;
  readonly key: string;
  readonly channel: ChannelOut;
  readonly exchange: string;
  readonly symbol: string;
  readonly baseAsset: string;
  readonly quoteAsset: string;
  readonly instrumentType: number;
  readonly tickText: string | undefined;
  readonly lotText: string | undefined;
  definitionVersion: number;
  priceScale: number;
  sizeScale: number;
  tick: number;
  lot: number;
  definedAtNs: bigint;
  bookSeq: number;
  tradeSeq: number;
  status: number;
  window: PublishedWindow;
  needsReset: boolean;
  exchTimeNs: bigint;
  checksum: number;
  checksumDirty: boolean;
}

const INSTRUMENT_TYPE: Record<Instrument['kind'], number> = {
  spot: InstrumentTypeCode.SPOT,
  perpetual: InstrumentTypeCode.PERPETUAL,
  future: InstrumentTypeCode.FUTURE,
  option: InstrumentTypeCode.OPTION,
};

const U64_MAX = (1n << 64n) - 1n;

/** Wire status for an engine state that is not publishable. */
function statusFor(state: SyncState): number {
  if (state === 'halted') return InstrumentStatusCode.HALTED;
  if (state === 'connecting') return InstrumentStatusCode.VENUE_DISCONNECTED;
  return InstrumentStatusCode.RESYNCING;
}

function nextSessionId(path: string | undefined): number {
  const now = Math.floor(Date.now() / 1000);
  if (!path) return now;
  let last = 0;
  try {
    last = Number(readFileSync(path, 'utf8').trim()) || 0;
  } catch {
    // First start on this host: no file yet.
  }
  const id = Math.max(now, last + 1);
  writeFileSync(path, `${id}\n`);
  return id;
}

function configProblems(c: PublisherConfig): string[] {
  const out: string[] = [];
  if (!isUsableMulticast(c.group)) out.push(`group ${c.group} is not a usable IPv4 multicast address`);
  if (!Number.isInteger(c.port) || c.port < 1 || c.port > 65535) out.push(`port ${c.port} is out of range`);
  const iface = c.interface ?? '127.0.0.1';
  if (Number.isNaN(ipv4ToInt(iface))) out.push(`interface ${iface} is not an IPv4 address`);
  const max = c.maxDatagram ?? DEFAULT_MAX_DATAGRAM;
  if (!Number.isInteger(max) || max < MIN_DATAGRAM || max > MAX_DATAGRAM_LIMIT) {
    out.push(`maxDatagram ${max} outside ${MIN_DATAGRAM}..${MAX_DATAGRAM_LIMIT} (larger datagrams are IP-fragmented)`);
  }
  const depth = c.depth ?? 20;
  if (!Number.isInteger(depth) || depth < 1 || depth > 0xffff) out.push(`depth ${depth} must be 1..65535`);
  const ttl = c.ttl ?? 1;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > 255) out.push(`ttl ${ttl} must be 1..255`);
  if (Array.isArray(c.channels)) {
    const seen = new Set<number>();
    for (const ch of c.channels) {
      if (!Number.isInteger(ch.channelId) || ch.channelId < 1 || ch.channelId > 0xffff) out.push(`channelId ${ch.channelId} must be 1..65535`);
      if (seen.has(ch.channelId)) out.push(`channelId ${ch.channelId} configured twice`);
      seen.add(ch.channelId);
      out.push(...endpointProblems(channelEndpoints({ group: c.group, port: c.port }, ch.channelId)));
    }
  } else if (out.length === 0) {
    out.push(...endpointProblems(channelEndpoints({ group: c.group, port: c.port }, MAX_VENUE_CHANNEL)));
  }
  for (const [k, v] of [
    ['heartbeatIntervalMs', c.heartbeatIntervalMs],
    ['snapshotPacketsPerSecond', c.snapshotPacketsPerSecond],
    ['statusIntervalMs', c.statusIntervalMs],
    ['tickMs', c.tickMs],
  ] as const) {
    if (v !== undefined && !(v > 0)) out.push(`${k} must be positive`);
  }
  return out;
}

/** Validate the configuration, bind the sending socket and start the timers. */
export async function openPublisher(config: PublisherConfig): Promise<PublisherOpenResult> {
  const problems = configProblems(config);
  if (problems.length > 0) return { ok: false, error: { code: 'invalid-config', detail: problems.join('; ') } };
  const iface = config.interface ?? '127.0.0.1';
  const socket = dgram.createSocket({ type: 'udp4' });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: iface, port: 0 }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    // These throw EBADF on an unbound socket (design 3.1), hence after bind.
    socket.setMulticastInterface(iface);
    socket.setMulticastTTL(config.ttl ?? 1);
    socket.setMulticastLoopback(config.loopback ?? true);
    socket.setSendBufferSize(config.sendBufferSize ?? 4 << 20);
  } catch (err) {
    socket.close();
    return { ok: false, error: { code: 'socket', detail: `cannot send multicast on ${iface}: ${String(err)}` } };
  }
  return { ok: true, publisher: new MulticastPublisher(config, socket) };
}

export class MulticastPublisher {
  private readonly socket: DatagramSink;
  private readonly clock: PublisherClock;
  private readonly base: { group: string; port: number };
  private readonly grouping: ChannelGrouping;
  private readonly maxDatagram: number;
  private readonly depth: number;
  private readonly heartbeatMs: number;
  private readonly snapshotPps: number;
  private readonly statusIntervalMs: number;
  private readonly sessionStartUntilMs: number;
  private readonly eosRepeats: number;
  private readonly eosIntervalMs: number;
  readonly sessionId: number;

  private readonly channels = new Map<number, ChannelOut>();
  private readonly byInstrument = new Map<Instrument, InstrumentOut | null>();
  private readonly byKey = new Map<string, InstrumentOut>();
  /** Trades name instruments by venue + symbol (venue or normalized); both are indexed. */
  private readonly byTradeKey = new Map<string, InstrumentOut>();
  private readonly rejected = new Map<string, string>();
  private nextInstrumentId = 1;

  private readonly scratch: PublishedWindow;
  private readonly diff: DiffBuffer;
  private readonly head: BookSnapshotHead;

  private readonly timer: ReturnType<typeof setInterval> | undefined;
  private readonly autoTick: boolean;
  private lastTickMs: number;
  private flushScheduled = false;
  private closing = false;
  private closed: Promise<void> | undefined;
  private pendingSends = 0;
  private drainWaiters: (() => void)[] = [];

  private packets = 0;
  private bytes = 0;
  private rateWindowStartMs: number;
  private rateWindowPackets = 0;
  private rateWindowBytes = 0;
  private packetsPerSec = 0;
  private bytesPerSec = 0;
  private resets = 0;
  private deltas = 0;
  private trades = 0;
  private tradesDropped = 0;
  private exponentViolations = 0;
  private snapshotCycles = 0;
  private lastSnapshotCycleMs = 0;
  private maxPacketBytes = 0;
  private sendErrors = 0;
  private lastSendError = '';

  /**
   * Use openPublisher() for the network: it validates the configuration and binds the socket.
   * Constructing directly with another sink skips both (tests, simulated-time replays).
   */
  constructor(config: PublisherConfig, socket: DatagramSink) {
    this.socket = socket;
    this.clock = config.clock ?? systemClock();
    this.base = { group: config.group, port: config.port };
    this.grouping = config.channels ?? 'venue';
    this.maxDatagram = config.maxDatagram ?? DEFAULT_MAX_DATAGRAM;
    this.depth = config.depth ?? 20;
    this.heartbeatMs = config.heartbeatIntervalMs ?? 500;
    this.snapshotPps = config.snapshotPacketsPerSecond ?? 1000;
    this.statusIntervalMs = config.statusIntervalMs ?? 5000;
    this.eosRepeats = config.endOfSessionRepeats ?? 3;
    this.eosIntervalMs = config.endOfSessionIntervalMs ?? 500;
    this.sessionId = config.sessionId ?? nextSessionId(config.sessionStatePath);
    const now = this.clock.nowMs();
    this.sessionStartUntilMs = now + (config.sessionStartFlagMs ?? 5000);
    this.lastTickMs = now;
    this.rateWindowStartMs = now;
    this.scratch = new PublishedWindow(this.depth);
    this.diff = new DiffBuffer(this.depth);
    this.head = {
      instrumentId: 0, priceExponent: 0, sizeExponent: 0, flags: 0, status: 0, bookSeq: 0, lastIncrementalSeq: 0,
      exchangeTimeNs: 0n, chunkIndex: 0, chunkCount: 1, depth: 0, bookChecksum: 0,
    };
    // A send error (e.g. ENOBUFS under pressure) is counted, never thrown out of the loop.
    this.socket.on('error', (err) => {
      this.sendErrors++;
      this.lastSendError = String(err);
    });
    if (Array.isArray(this.grouping)) for (const c of this.grouping) this.channel(c.channelId);
    this.autoTick = config.autoTick ?? true;
    this.timer = this.autoTick ? setInterval(() => this.tick(), config.tickMs ?? 10) : undefined;
  }

  // ---------------------------------------------------------------------------------------
  // Engine-facing API

  /**
   * Called by the engine after each message applied to `book`. `tsNs` is the exchange time of
   * that message in ns since the epoch (0n when the venue gives none); it is carried as the
   * exchangeTime of the resulting deltas and snapshots.
   */
  onBook(instrument: Instrument, book: OrderBook, state: SyncState, tsNs: bigint): void {
    if (this.closing) return;
    let inst = this.byInstrument.get(instrument);
    if (inst === undefined) {
      // Announce an instrument once its exponents mean something: when its book holds levels
      // (parsed from the venue's own strings) or is publishable. A book seen empty on its way to
      // a snapshot still has the metadata's scale, often 0 for an unlisted pair; announcing that
      // would force a second definitionVersion as soon as the first levels arrive.
      if (book.levelCount() === 0 && state !== 'live') return;
      inst = this.register(instrument, book);
    }
    if (inst === null) return;
    inst.exchTimeNs = tsNs >= 0n && tsNs <= U64_MAX ? tsNs : 0n;

    // Live and exact: the engine's state machine says live, and the book is not crossed (a
    // crossed book is never a venue state; the engine resyncs it, venues.md section 1).
    if (state !== 'live' || book.isCrossed()) {
      const code = statusFor(state);
      inst.needsReset = true;
      if (inst.status !== code) {
        inst.status = code;
        this.writeStatus(inst.channel.inc, inst);
      }
      return;
    }

    // A widened scale is redefined only here, right before the RESET it requires, so the
    // published window, its bookSeq and the announced exponents never disagree on the wire.
    if (book.priceScale !== inst.priceScale || book.sizeScale !== inst.sizeScale) this.redefine(inst, book);

    const next = this.scratch;
    const band = book.trustBand();
    next.bids.loadFrom(book.bids, band.bidFloor);
    next.asks.loadFrom(book.asks, band.askCeiling);

    if (inst.needsReset) {
      inst.window.swap(next);
      inst.bookSeq++;
      inst.checksumDirty = true;
      inst.needsReset = false;
      inst.status = InstrumentStatusCode.TRADING;
      const inc = inst.channel.inc;
      this.writeSnapshot(inc, inst, BOOK_SNAPSHOT_RESET, inc.nextSeq - 1, true);
      this.writeStatus(inc, inst);
      this.resets++;
      return;
    }

    const d = this.diff;
    d.reset();
    d.diffSide(inst.window.bids, next.bids, 1);
    d.diffSide(inst.window.asks, next.asks, 2);
    if (d.total === 0) return;
    inst.window.swap(next);
    this.writeDeltas(inst, d);
  }

  /** Called by the engine for every trade. Trades of instruments without a book yet are dropped. */
  onTrade(trade: MarketTrade): void {
    if (this.closing) return;
    const inst = this.byTradeKey.get(`${trade.venue}:${trade.symbol}`);
    if (!inst) {
      this.tradesDropped++;
      return;
    }
    // Trades carry the instrument's exponents (design 2.5): widen exactly, never round.
    const dp = inst.priceScale - trade.priceScale;
    const ds = inst.sizeScale - trade.sizeScale;
    const price = dp >= 0 && dp <= 22 ? trade.price * pow10(dp) : Number.NaN;
    const size = ds >= 0 && ds <= 22 ? trade.size * pow10(ds) : Number.NaN;
    if (!Number.isSafeInteger(price) || !Number.isSafeInteger(size)) {
      this.exponentViolations++;
      this.tradesDropped++;
      return;
    }
    inst.tradeSeq++;
    const inc = inst.channel.inc;
    this.room(inc, MessageSize.TRADE);
    inc.writer.writeTrade({
      instrumentId: inst.id,
      priceExponent: -inst.priceScale,
      sizeExponent: -inst.sizeScale,
      aggressorSide: trade.takerSide === 'buy' ? AggressorSide.BUY : trade.takerSide === 'sell' ? AggressorSide.SELL : AggressorSide.UNKNOWN,
      flags: 0,
      tradeSeq: inst.tradeSeq,
      price,
      size,
      exchangeTimeNs: msToNs(trade.exchTsMs),
      venueTradeId: numericTradeId(trade.tradeId),
    });
    inc.nextSeq++;
    this.trades++;
  }

  /**
   * BookDelta and RESET messages written so far, without building stats() (callers on the hot
   * path, e.g. the publisher benchmark, tell with it whether an update produced output).
   */
  get bookMessages(): number {
    return this.deltas + this.resets;
  }

  stats(): PublisherStats {
    const groups: PublisherGroupStats[] = [];
    let published = 0;
    for (const ch of this.channels.values()) {
      for (const s of [ch.inc, ch.snap]) {
        groups.push({
          channelId: ch.channelId,
          role: s.channelType === ChannelType.INCREMENTAL ? 'incremental' : 'snapshot',
          group: s.group,
          port: s.port,
          lastSeq: s.nextSeq - 1,
          packets: s.packets,
          bytes: s.bytes,
        });
      }
      for (const i of ch.instruments) if (i.status === InstrumentStatusCode.TRADING) published++;
    }
    return {
      sessionId: this.sessionId,
      groups,
      packets: this.packets,
      bytes: this.bytes,
      packetsPerSec: this.packetsPerSec,
      bytesPerSec: this.bytesPerSec,
      instrumentsPublished: published,
      instruments: this.byKey.size,
      rejectedInstruments: [...this.rejected].map(([key, reason]) => ({ key, reason })),
      resets: this.resets,
      deltas: this.deltas,
      trades: this.trades,
      tradesDropped: this.tradesDropped,
      exponentViolations: this.exponentViolations,
      snapshotCycles: this.snapshotCycles,
      lastSnapshotCycleMs: this.lastSnapshotCycleMs,
      maxPacketBytes: this.maxPacketBytes,
      sendErrors: this.sendErrors,
      lastSendError: this.lastSendError,
    };
  }

  /** The published top-N book of every instrument, keyed "exchange:symbol" (what receivers must hold). */
  publishedBooks(): Map<string, PublishedBook> {
    const out = new Map<string, PublishedBook>();
    for (const inst of this.byKey.values()) {
      out.set(`${inst.exchange}:${inst.symbol}`, {
        instrumentId: inst.id,
        channelId: inst.channel.channelId,
        exchange: inst.exchange,
        symbol: inst.symbol,
        status: inst.status,
        bookSeq: inst.bookSeq,
        tradeSeq: inst.tradeSeq,
        priceExponent: -inst.priceScale,
        sizeExponent: -inst.sizeScale,
        bids: inst.window.bids.toPairs(),
        asks: inst.window.asks.toPairs(),
        checksum: this.checksumOf(inst),
      });
    }
    return out;
  }

  /** Where each channel is sent (for the UI, logs and `depthdesk listen` hints). */
  endpoints(): { channelId: number; incremental: { group: string; port: number }; snapshot: { group: string; port: number } }[] {
    return [...this.channels.values()].map((c) => ({
      channelId: c.channelId,
      incremental: { group: c.inc.group, port: c.inc.port },
      snapshot: { group: c.snap.group, port: c.snap.port },
    }));
  }

  /**
   * End the session: flush, send SystemEvent(EndOfSession) on every stream, repeat
   * END_OF_SESSION heartbeats (the receivers' "last chance", design 2.11), then close the socket.
   */
  close(): Promise<void> {
    if (this.closed) return this.closed;
    this.closing = true;
    if (this.timer) clearInterval(this.timer);
    this.closed = (async () => {
      const nowNs = this.clock.nowNs();
      for (const ch of this.channels.values()) {
        for (const s of [ch.inc, ch.snap]) {
          this.flush(s);
          this.begin(s);
          s.writer.writeSystemEvent({
            timestampNs: nowNs,
            eventCode: SystemEventCode.END_OF_SESSION,
            instrumentCount: ch.instruments.length,
            lastIncrementalSeq: ch.inc.nextSeq - 1,
            cycleId: ch.cycleId,
          });
          s.nextSeq++;
          this.flush(s);
        }
      }
      for (let i = 0; i < this.eosRepeats; i++) {
        if (this.autoTick) await new Promise((r) => setTimeout(r, this.eosIntervalMs));
        for (const ch of this.channels.values()) {
          this.heartbeat(ch.inc, PacketFlags.HEARTBEAT | PacketFlags.END_OF_SESSION);
          this.heartbeat(ch.snap, PacketFlags.HEARTBEAT | PacketFlags.END_OF_SESSION);
        }
      }
      if (this.pendingSends > 0) await new Promise<void>((r) => this.drainWaiters.push(r));
      await new Promise<void>((r) => this.socket.close(() => r()));
    })();
    return this.closed;
  }

  // ---------------------------------------------------------------------------------------
  // Instruments and channels

  private channel(channelId: number): ChannelOut {
    let ch = this.channels.get(channelId);
    if (ch) return ch;
    const ep = channelEndpoints(this.base, channelId);
    const now = this.clock.nowMs();
    const stream = (channelType: number, group: string, port: number): Stream => ({
      channelId, channelType, group, port, writer: new PacketWriter(this.maxDatagram),
      nextSeq: 1, open: false, lastSendMs: now, packets: 0, bytes: 0,
    });
    ch = {
      channelId,
      inc: stream(ChannelType.INCREMENTAL, ep.incremental.group, ep.incremental.port),
      snap: stream(ChannelType.SNAPSHOT, ep.snapshot.group, ep.snapshot.port),
      instruments: [],
      loopPhase: -1,
      cycleId: 1,
      cycleStartMs: now,
      tokens: 0,
      statusCursor: 0,
      statusBudget: 0,
    };
    this.channels.set(channelId, ch);
    this.room(ch.inc, MessageSize.SYSTEM_EVENT);
    ch.inc.writer.writeSystemEvent({
      timestampNs: this.clock.nowNs(), eventCode: SystemEventCode.START_OF_SESSION, instrumentCount: 0, lastIncrementalSeq: 0, cycleId: 0,
    });
    ch.inc.nextSeq++;
    return ch;
  }

  private reject(instrument: Instrument, key: string, reason: string): null {
    this.byInstrument.set(instrument, null);
    this.rejected.set(key, reason);
    return null;
  }

  private register(instrument: Instrument, book: OrderBook): InstrumentOut | null {
    const key = instrumentKey(instrument.venue, instrument.venueSymbol);
    const known = this.byKey.get(key);
    if (known) {
      // Same instrument, new object (e.g. the venue adapter reloaded its metadata).
      this.byInstrument.set(instrument, known);
      return known;
    }
    const channelId = channelFor(this.grouping, instrument);
    if (channelId === undefined) return this.reject(instrument, key, 'no configured channel');
    for (const [field, value] of [
      ['exchange', instrument.venue],
      ['symbol', instrument.venueSymbol],
      ['baseAsset', instrument.base],
      ['quoteAsset', instrument.quote],
    ] as const) {
      if (!asciiFits(value, DefinitionStringSize[field])) {
        return this.reject(instrument, key, `${field} "${value}" is not printable ASCII of at most ${DefinitionStringSize[field]} bytes`);
      }
    }
    if (book.priceScale > 128 || book.sizeScale > 128 || book.priceScale < -127 || book.sizeScale < -127) {
      return this.reject(instrument, key, 'exponent outside i8');
    }
    const ch = this.channel(channelId);
    const inst: InstrumentOut = {
      id: this.nextInstrumentId++,
      key,
      channel: ch,
      exchange: instrument.venue,
      symbol: instrument.venueSymbol,
      baseAsset: instrument.base,
      quoteAsset: instrument.quote,
      instrumentType: INSTRUMENT_TYPE[instrument.kind],
      tickText: instrument.tickSize,
      lotText: instrument.lotSize,
      definitionVersion: 1,
      priceScale: book.priceScale,
      sizeScale: book.sizeScale,
      tick: 0,
      lot: 0,
      definedAtNs: this.clock.nowNs(),
      bookSeq: 0,
      tradeSeq: 0,
      status: InstrumentStatusCode.UNKNOWN,
      window: new PublishedWindow(this.depth),
      needsReset: true,
      exchTimeNs: 0n,
      checksum: 0,
      checksumDirty: true,
    };
    this.setTickLot(inst);
    ch.instruments.push(inst);
    this.byInstrument.set(instrument, inst);
    this.byKey.set(key, inst);
    this.byTradeKey.set(`${instrument.venue}:${instrument.venueSymbol}`, inst);
    this.byTradeKey.set(`${instrument.venue}:${instrument.symbol}`, inst);
    this.writeDefinition(ch.inc, inst);
    return inst;
  }

  private setTickLot(inst: InstrumentOut): void {
    // 0 = unknown on the wire: a tick finer than the book's exponent cannot be expressed.
    const tick = inst.tickText === undefined ? 0 : parseScaled(inst.tickText, inst.priceScale);
    const lot = inst.lotText === undefined ? 0 : parseScaled(inst.lotText, inst.sizeScale);
    inst.tick = Number.isNaN(tick) ? 0 : tick;
    inst.lot = Number.isNaN(lot) ? 0 : lot;
  }

  /**
   * The engine widened the book's scale (a venue showed a finer decimal). The exponents are part
   * of the definition, so: new definitionVersion, new definition on INC, and a RESET of the book
   * at the new exponents before any further delta (design 2.4 and 2.6). The caller sends that
   * RESET in the same call.
   */
  private redefine(inst: InstrumentOut, book: OrderBook): void {
    inst.priceScale = book.priceScale;
    inst.sizeScale = book.sizeScale;
    inst.definitionVersion = (inst.definitionVersion + 1) & 0xffff;
    inst.definedAtNs = this.clock.nowNs();
    inst.needsReset = true;
    this.exponentViolations++;
    this.setTickLot(inst);
    this.writeDefinition(inst.channel.inc, inst);
  }

  private checksumOf(inst: InstrumentOut): number {
    if (inst.checksumDirty) {
      inst.checksum = bookChecksum(inst.bookSeq, inst.window.bids, inst.window.asks);
      inst.checksumDirty = false;
    }
    return inst.checksum;
  }

  // ---------------------------------------------------------------------------------------
  // Encoding

  private sessionFlags(): number {
    return this.clock.nowMs() < this.sessionStartUntilMs ? PacketFlags.SESSION_START : 0;
  }

  private begin(s: Stream): void {
    s.writer.begin({
      flags: this.sessionFlags(),
      channelId: s.channelId,
      sessionId: this.sessionId,
      channelType: s.channelType,
      sequenceNumber: s.nextSeq,
      sendingTimeNs: 0n,
    });
    s.open = true;
  }

  /** Make room for `bytes` in the stream's open packet, sending the current one if it is full. */
  private room(s: Stream, bytes: number): void {
    if (s.open && !s.writer.fits(bytes)) this.flush(s);
    if (!s.open) this.begin(s);
    if (s.channelType === ChannelType.INCREMENTAL && !this.flushScheduled && this.autoTick) {
      // Collect what one event-loop turn produces, then send: full packets, low latency (2.8).
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flushIncremental();
      });
    }
  }

  /** Send every open incremental packet now (automatic once per event-loop turn with autoTick). */
  flushIncremental(): void {
    for (const ch of this.channels.values()) this.flush(ch.inc);
  }

  private flush(s: Stream): void {
    if (!s.open) return;
    s.open = false;
    if (s.writer.messageCount === 0) return;
    s.writer.setSendingTime(this.clock.nowNs());
    this.send(s, s.writer.finish());
  }

  private send(s: Stream, bytes: Uint8Array): void {
    const buf = Buffer.from(bytes);
    s.packets++;
    s.bytes += buf.length;
    s.lastSendMs = this.clock.nowMs();
    this.packets++;
    this.bytes += buf.length;
    if (buf.length > this.maxPacketBytes) this.maxPacketBytes = buf.length;
    this.pendingSends++;
    this.socket.send(buf, s.port, s.group, (err) => {
      this.pendingSends--;
      if (err) {
        this.sendErrors++;
        this.lastSendError = String(err);
      }
      if (this.pendingSends === 0 && this.drainWaiters.length > 0) {
        const waiters = this.drainWaiters;
        this.drainWaiters = [];
        for (const w of waiters) w();
      }
    });
  }

  private heartbeat(s: Stream, flags: number): void {
    this.flush(s);
    s.writer.begin({
      flags: flags | this.sessionFlags(),
      channelId: s.channelId,
      sessionId: this.sessionId,
      channelType: s.channelType,
      sequenceNumber: s.nextSeq,
      sendingTimeNs: this.clock.nowNs(),
    });
    this.send(s, s.writer.finish());
  }

  private writeDefinition(s: Stream, inst: InstrumentOut): void {
    this.room(s, MessageSize.INSTRUMENT_DEFINITION);
    s.writer.writeInstrumentDefinition({
      instrumentId: inst.id,
      definitionVersion: inst.definitionVersion,
      priceExponent: -inst.priceScale,
      sizeExponent: -inst.sizeScale,
      tickSize: inst.tick,
      lotSize: inst.lot,
      updateTimeNs: inst.definedAtNs,
      maxDepth: this.depth,
      instrumentType: inst.instrumentType,
      exchange: inst.exchange,
      symbol: inst.symbol,
      baseAsset: inst.baseAsset,
      quoteAsset: inst.quoteAsset,
    });
    s.nextSeq++;
  }

  private writeStatus(s: Stream, inst: InstrumentOut): void {
    this.room(s, MessageSize.INSTRUMENT_STATUS);
    s.writer.writeInstrumentStatus({
      instrumentId: inst.id,
      status: inst.status,
      reason: 0,
      bookSeq: inst.bookSeq,
      tradeSeq: inst.tradeSeq,
      timestampNs: this.clock.nowNs(),
      bookChecksum: this.checksumOf(inst),
    });
    s.nextSeq++;
  }

  /** Split one upstream event's entries over BookDelta messages, one bookSeq each (2.8). */
  private writeDeltas(inst: InstrumentOut, d: DiffBuffer): void {
    const s = inst.channel.inc;
    const w = s.writer;
    const total = d.total;
    let k = 0;
    while (k < total) {
      this.room(s, MessageSize.BOOK_DELTA_BASE + ENTRY_SIZE);
      inst.bookSeq++;
      w.beginBookDelta(inst.id, -inst.priceScale, -inst.sizeScale, 0, inst.bookSeq, inst.exchTimeNs);
      s.nextSeq++;
      this.deltas++;
      while (k < total) {
        const ok =
          k < d.deletes
            ? w.addEntry(d.delPrice[k]!, 0, ORDER_COUNT_UNKNOWN, d.delSide[k]!, EntryAction.DELETE)
            : w.addEntry(d.setPrice[k - d.deletes]!, d.setSize[k - d.deletes]!, ORDER_COUNT_UNKNOWN, d.setSide[k - d.deletes]!, EntryAction.SET);
        if (!ok) break;
        k++;
      }
      if (k === total) w.setBookFlags(BOOK_DELTA_END_OF_EVENT);
      w.endMessage();
    }
    inst.checksumDirty = true;
  }

  /**
   * Write the published window as BookSnapshot chunks: bids best -> worst, then asks. On INC
   * (`inline`) chunk 0 goes wherever the open packet has room; on the loop it follows the
   * definition and status in the instrument's packet. Every further chunk fills a new packet,
   * and all chunks go out back-to-back with one bookSeq (2.8). Returns packets started.
   */
  private writeSnapshot(s: Stream, inst: InstrumentOut, flags: number, lastIncrementalSeq: number, inline: boolean): number {
    const w = s.writer;
    const win = inst.window;
    const nb = win.bids.count;
    const total = nb + win.asks.count;
    let packets = 0;
    if (inline) {
      const need = MessageSize.BOOK_SNAPSHOT_BASE + (total > 0 ? ENTRY_SIZE : 0);
      const wasOpen = s.open;
      this.room(s, need);
      if (!wasOpen || s.writer.messageCount === 0) packets++;
    }
    const cap0 = Math.floor((w.remaining() - MessageSize.BOOK_SNAPSHOT_BASE) / ENTRY_SIZE);
    const capN = Math.floor((this.maxDatagram - PACKET_HEADER_SIZE - MessageSize.BOOK_SNAPSHOT_BASE) / ENTRY_SIZE);
    const chunkCount = total <= cap0 ? 1 : 1 + Math.ceil((total - cap0) / capN);
    const h = this.head;
    h.instrumentId = inst.id;
    h.priceExponent = -inst.priceScale;
    h.sizeExponent = -inst.sizeScale;
    h.flags = flags;
    h.status = inst.status;
    h.bookSeq = inst.bookSeq;
    h.lastIncrementalSeq = lastIncrementalSeq;
    h.exchangeTimeNs = inst.exchTimeNs;
    h.chunkCount = chunkCount;
    h.depth = Math.max(nb, win.asks.count);
    h.bookChecksum = this.checksumOf(inst);
    let e = 0;
    for (let c = 0; c < chunkCount; c++) {
      if (c > 0) {
        this.flush(s);
        this.begin(s);
        packets++;
      }
      h.chunkIndex = c;
      w.beginBookSnapshot(h);
      s.nextSeq++;
      while (e < total) {
        const ok =
          e < nb
            ? w.addEntry(win.bids.prices[e]!, win.bids.sizes[e]!, ORDER_COUNT_UNKNOWN, 1, EntryAction.SET)
            : w.addEntry(win.asks.prices[e - nb]!, win.asks.sizes[e - nb]!, ORDER_COUNT_UNKNOWN, 2, EntryAction.SET);
        if (!ok) break;
        e++;
      }
      w.endMessage();
    }
    return packets;
  }

  // ---------------------------------------------------------------------------------------
  // Timers: snapshot loop, periodic statuses, heartbeats, rates

  /** Pace the loop, send statuses and heartbeats, update rates (called by the timer with autoTick). */
  tick(): void {
    const now = this.clock.nowMs();
    const dt = Math.max(0, now - this.lastTickMs);
    this.lastTickMs = now;
    for (const ch of this.channels.values()) {
      this.statusRound(ch, dt);
      this.loopStep(ch, dt, now);
      for (const s of [ch.inc, ch.snap]) {
        if (!s.open && now - s.lastSendMs >= this.heartbeatMs) this.heartbeat(s, PacketFlags.HEARTBEAT);
      }
    }
    if (now - this.rateWindowStartMs >= 1000) {
      const secs = (now - this.rateWindowStartMs) / 1000;
      this.packetsPerSec = (this.packets - this.rateWindowPackets) / secs;
      this.bytesPerSec = (this.bytes - this.rateWindowBytes) / secs;
      this.rateWindowStartMs = now;
      this.rateWindowPackets = this.packets;
      this.rateWindowBytes = this.bytes;
    }
  }

  /** Round-robin InstrumentStatus so each instrument gets one every statusIntervalMs (2.11). */
  private statusRound(ch: ChannelOut, dt: number): void {
    const n = ch.instruments.length;
    if (n === 0) return;
    ch.statusBudget = Math.min(n, ch.statusBudget + (n * dt) / this.statusIntervalMs);
    while (ch.statusBudget >= 1) {
      ch.statusBudget -= 1;
      const inst = ch.instruments[ch.statusCursor % n]!;
      ch.statusCursor = (ch.statusCursor + 1) % n;
      this.writeStatus(ch.inc, inst);
    }
  }

  /** Token bucket: the loop's pace is packets per second, evaluated every tick (design 3.3). */
  private loopStep(ch: ChannelOut, dt: number, now: number): void {
    const n = ch.instruments.length;
    if (n === 0) return;
    const burst = Math.max(2, this.snapshotPps / 20);
    ch.tokens = Math.min(burst, ch.tokens + (this.snapshotPps * dt) / 1000);
    if (ch.tokens < 1) return;
    // INC first, so that on the wire a snapshot never precedes the incremental packets it reflects.
    this.flush(ch.inc);
    const s = ch.snap;
    while (ch.tokens >= 1) {
      if (ch.loopPhase < 0 || ch.loopPhase >= n) {
        const start = ch.loopPhase < 0;
        this.begin(s);
        s.writer.writeSystemEvent({
          timestampNs: this.clock.nowNs(),
          eventCode: start ? SystemEventCode.SNAPSHOT_CYCLE_START : SystemEventCode.SNAPSHOT_CYCLE_END,
          instrumentCount: n,
          lastIncrementalSeq: ch.inc.nextSeq - 1,
          cycleId: ch.cycleId,
        });
        s.nextSeq++;
        this.flush(s);
        ch.tokens -= 1;
        if (start) {
          ch.loopPhase = 0;
          ch.cycleStartMs = now;
        } else {
          ch.loopPhase = -1;
          ch.cycleId = (ch.cycleId + 1) >>> 0;
          this.snapshotCycles++;
          this.lastSnapshotCycleMs = now - ch.cycleStartMs;
        }
        continue;
      }
      const inst = ch.instruments[ch.loopPhase++]!;
      this.begin(s);
      this.writeDefinition(s, inst);
      this.writeStatus(s, inst);
      const packets = 1 + this.writeSnapshot(s, inst, 0, ch.inc.nextSeq - 1, false);
      this.flush(s);
      ch.tokens -= packets;
    }
  }
}

function msToNs(ms: number): bigint {
  if (!Number.isFinite(ms) || ms <= 0) return 0n;
  return BigInt(Math.round(ms * 1000)) * 1000n;
}

/** The venue's trade id when it is a decimal u64, else 0n (a varData id is future schema work). */
function numericTradeId(id: string): bigint {
  if (!/^\d{1,20}$/.test(id)) return 0n;
  const v = BigInt(id);
  return v <= U64_MAX ? v : 0n;
}

