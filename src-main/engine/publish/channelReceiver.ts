/**
 * OBMC/1 receiver logic for one channel, without sockets: datagrams in, books and states out.
 * `receiver.ts` feeds it from the multicast groups; tests feed it directly or through the
 * impairment shim. Procedures follow docs/PROTOCOLS.md "Receiver procedures" (design 2.11):
 *
 * - Late join: incremental messages of every instrument that is not LIVE are buffered (bounded);
 *   a complete loop snapshot S is adopted when the receiver has seen every incremental message
 *   after S.lastIncrementalSeq, then buffered deltas with bookSeq <= S.bookSeq are dropped and
 *   the rest applied strictly contiguously; only then is the instrument LIVE.
 * - Channel gap: LIVE instruments become SUSPECT. The next delta with bookSeq + 1 makes one LIVE
 *   again; a jump makes it STALE (resynced from the loop); an InstrumentStatus or snapshot that
 *   shows the same bookSeq and checksum confirms it.
 * - An inline RESET snapshot replaces the book whatever its state (it is complete by itself).
 * - Checksums in statuses and snapshots are compared whenever the bookSeq matches: a mismatch
 *   makes the instrument STALE, since the book has silently diverged.
 * - A higher sessionId drops all state (instrument ids are per session); lower ones are stale
 *   packets and ignored.
 *
 * Nothing here throws on input: bad datagrams are counted by decode error code, and messages
 * that cannot be applied move the instrument to STALE.
 */
import { bookChecksum, entriesChecksum } from '../../../src-shared/wire/bookChecksum.ts';
import { decodePacket } from '../../../src-shared/wire/packetDecoder.ts';
import {
  BOOK_DELTA_END_OF_EVENT,
  BOOK_SNAPSHOT_RESET,
  ChannelType,
  EntryAction,
  EntrySide,
  InstrumentStatusCode,
  PacketFlags,
  SystemEventCode,
  type BookDelta,
  type BookEntry,
  type BookSnapshot,
  type InstrumentDefinition,
  type InstrumentStatus,
  type ObmcMessage,
  type Trade,
} from '../../../src-shared/wire/obmcMessage.ts';
import { OrderBook } from '../book/orderBook.ts';

export type InstrumentSyncState = 'unknown' | 'syncing' | 'live' | 'suspect' | 'stale';
export type FeedSource = 'incremental' | 'snapshot';

export const STATUS_NAMES: Record<number, string> = {
  [InstrumentStatusCode.TRADING]: 'TRADING',
  [InstrumentStatusCode.HALTED]: 'HALTED',
  [InstrumentStatusCode.VENUE_DISCONNECTED]: 'VENUE_DISCONNECTED',
  [InstrumentStatusCode.RESYNCING]: 'RESYNCING',
  [InstrumentStatusCode.CLOSED]: 'CLOSED',
  [InstrumentStatusCode.UNKNOWN]: 'UNKNOWN',
};

export interface ReceiverInstrumentView {
  instrumentId: number;
  exchange: string;
  symbol: string;
  state: InstrumentSyncState;
  /** Venue status from InstrumentStatus (TRADING, RESYNCING...): a LIVE book is usable only when TRADING. */
  venueStatus: string;
  bookSeq: number;
  tradeSeq: number;
  definitionVersion: number;
  priceExponent: number;
  sizeExponent: number;
  maxDepth: number;
  bidLevels: number;
  askLevels: number;
  /** bookSeq discontinuities found for this instrument (missed deltas, broken RESETs). */
  gaps: number;
  /** Times the instrument came back to LIVE from a snapshot after having been LIVE before. */
  recoveries: number;
  /** First synchronisations (late join, new session). */
  syncs: number;
  resets: number;
  checksumOk: number;
  checksumMismatch: number;
  trades: number;
  tradesLost: number;
  /** Incremental messages buffered while not LIVE. */
  pending: number;
}

export interface ReceivedBook {
  instrumentId: number;
  exchange: string;
  symbol: string;
  state: InstrumentSyncState;
  venueStatus: string;
  bookSeq: number;
  priceExponent: number;
  sizeExponent: number;
  bids: [number, number][];
  asks: [number, number][];
  checksum: number;
}

export interface ChannelView {
  channelId: number | undefined;
  sessionId: number | undefined;
  /** Next expected incremental / snapshot-loop sequence numbers. */
  incrementalNextSeq: number | undefined;
  snapshotNextSeq: number | undefined;
  /** First incremental seq of the current unbroken run. */
  contiguousSince: number | undefined;
  packets: number;
  bytes: number;
  heartbeats: number;
  channelGaps: number;
  gapMessages: number;
  snapshotGaps: number;
  duplicatePackets: number;
  skippedMessages: number;
  decodeErrors: Record<string, number>;
  foreignPackets: number;
  staleSessionPackets: number;
  sessionChanges: number;
  snapshotCycles: number;
  /** Instrument count announced by the snapshot loop, undefined before its first cycle start. */
  loopInstrumentCount: number | undefined;
  wantsSnapshot: boolean;
  ended: boolean;
  silent: boolean;
}

export type ReceiverEvent =
  | { type: 'state'; instrumentId: number; exchange: string; symbol: string; from: InstrumentSyncState; to: InstrumentSyncState; reason: string }
  | { type: 'gap'; source: FeedSource; fromSeq: number; toSeq: number }
  | { type: 'session'; sessionId: number }
  | { type: 'snapshot-membership'; join: boolean }
  | { type: 'silence'; silent: boolean }
  | { type: 'end-of-session' };

export interface ChannelReceiverOptions {
  /** Accept only this channel; default: the first channel seen. */
  channelId?: number;
  /** Bound on buffered incremental messages per instrument while it is not LIVE. */
  maxPendingPerInstrument?: number;
  /** Declare the channel silent after this long without an incremental packet (3 heartbeats). */
  silenceMs?: number;
  /** Leave the snapshot loop when every instrument is LIVE (design 2.11, as CME advises). */
  leaveSnapshotWhenLive?: boolean;
}

interface Assembly {
  bookSeq: number;
  chunkCount: number;
  nextChunk: number;
  lastSeq: number;
  flags: number;
  status: number;
  priceExponent: number;
  sizeExponent: number;
  lastIncrementalSeq: number;
  checksum: number;
  entries: BookEntry[];
}

interface Inst {
  readonly id: number;
  def: InstrumentDefinition | undefined;
  state: InstrumentSyncState;
  everLive: boolean;
  venueStatus: number;
  bookSeq: number;
  /** -1 until a status or trade tells. */
  tradeSeq: number;
  book: OrderBook;
  priceExponent: number;
  sizeExponent: number;
  pending: { seq: number; delta: BookDelta }[];
  /** Highest incremental seq dropped from `pending` by the bound (coverage starts after it). */
  droppedThrough: number;
  incAssembly: Assembly | null;
  loopAssembly: Assembly | null;
  gaps: number;
  recoveries: number;
  syncs: number;
  resets: number;
  checksumOk: number;
  checksumMismatch: number;
  trades: number;
  tradesLost: number;
}

/** Serial-number comparison for the u16 definitionVersion (it may wrap). */
function newerVersion(a: number, b: number): boolean {
  const d = (a - b) & 0xffff;
  return d !== 0 && d < 0x8000;
}

export class ChannelReceiver {
  private readonly expectedChannel: number | undefined;
  private readonly maxPending: number;
  private readonly silenceMs: number;
  private readonly leaveWhenLive: boolean;
  private readonly listeners = new Set<(e: ReceiverEvent) => void>();
  /** Called when the receiver wants to join (true) or leave (false) the snapshot loop. */
  onSnapshotMembership: ((join: boolean) => void) | undefined;

  private channelId: number | undefined;
  private sessionId: number | undefined;
  private incNext: number | undefined;
  private snapNext: number | undefined;
  private contiguousSince: number | undefined;
  private readonly insts = new Map<number, Inst>();
  private loopInstrumentCount: number | undefined;
  private wantsSnap = true;
  private ended = false;
  private silent = false;
  private lastIncMs: number | undefined;

  private packets = 0;
  private bytes = 0;
  private heartbeats = 0;
  private channelGaps = 0;
  private gapMessages = 0;
  private snapshotGaps = 0;
  private duplicatePackets = 0;
  private skippedMessages = 0;
  private readonly decodeErrors: Record<string, number> = {};
  private foreignPackets = 0;
  private staleSessionPackets = 0;
  private sessionChanges = 0;
  private snapshotCycles = 0;

  constructor(options: ChannelReceiverOptions = {}) {
    this.expectedChannel = options.channelId;
    this.maxPending = options.maxPendingPerInstrument ?? 50_000;
    this.silenceMs = options.silenceMs ?? 1500;
    this.leaveWhenLive = options.leaveSnapshotWhenLive ?? true;
  }

  /** Subscribe to state changes, gaps and session events. Returns the unsubscribe function. */
  on(listener: (e: ReceiverEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: ReceiverEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // A throwing listener must not break packet processing (house style).
      }
    }
  }

  // ---------------------------------------------------------------------------------------
  // Input

  /** Process one datagram as delivered by a socket. Never throws on its content. */
  handle(bytes: Uint8Array, nowMs: number): void {
    this.packets++;
    this.bytes += bytes.byteLength;
    const r = decodePacket(bytes);
    if (!r.ok) {
      this.decodeErrors[r.error.code] = (this.decodeErrors[r.error.code] ?? 0) + 1;
      return;
    }
    const p = r.packet;
    const h = p.header;
    const channel = this.expectedChannel ?? this.channelId;
    if (channel !== undefined && h.channelId !== channel) {
      // The socket alone does not identify the group on Linux (design 3.2): check channelId.
      this.foreignPackets++;
      return;
    }
    this.channelId = h.channelId;
    if (this.sessionId === undefined) {
      this.sessionId = h.sessionId;
    } else if (h.sessionId < this.sessionId) {
      this.staleSessionPackets++;
      return;
    } else if (h.sessionId > this.sessionId) {
      this.newSession(h.sessionId);
    }
    this.skippedMessages += p.skipped.length;
    if (h.channelType === ChannelType.INCREMENTAL) this.incremental(h.sequenceNumber, h.messageCount, h.flags, p.messages, nowMs);
    else if (h.channelType === ChannelType.SNAPSHOT) this.loop(h.sequenceNumber, h.messageCount, h.flags, p.messages);
    else this.decodeErrors['unknown-channel-type'] = (this.decodeErrors['unknown-channel-type'] ?? 0) + 1;
    this.updateMembership();
  }

  /** Periodic check (the socket host calls it): silence after 3 missed heartbeats. */
  tick(nowMs: number): void {
    const silent = this.lastIncMs !== undefined && nowMs - this.lastIncMs > this.silenceMs;
    if (silent !== this.silent) {
      this.silent = silent;
      this.emit({ type: 'silence', silent });
    }
  }

  private newSession(sessionId: number): void {
    // Instrument ids and every sequence restart with a session: drop everything (design 2.4).
    this.sessionId = sessionId;
    this.sessionChanges++;
    this.insts.clear();
    this.incNext = undefined;
    this.snapNext = undefined;
    this.contiguousSince = undefined;
    this.loopInstrumentCount = undefined;
    this.ended = false;
    this.emit({ type: 'session', sessionId });
  }

  private incremental(first: number, count: number, flags: number, messages: { seq: number; message: ObmcMessage }[], nowMs: number): void {
    this.lastIncMs = nowMs;
    if (this.silent) this.tick(nowMs);
    if (this.incNext === undefined) {
      this.incNext = first;
      this.contiguousSince = first;
    } else if (first > this.incNext) {
      this.channelGap(this.incNext, first - 1);
      this.incNext = first;
    } else if (count > 0 && first + count <= this.incNext) {
      this.duplicatePackets++;
      return;
    }
    if (count === 0) {
      // Heartbeat / end of session: its seq is the next expected one, so a gap at the end of a
      // burst is found here at the latest.
      this.heartbeats++;
    }
    for (const { seq, message } of messages) {
      if (seq < this.incNext) continue;
      this.incMessage(seq, message);
    }
    this.incNext = Math.max(this.incNext, first + count);
    if (flags & PacketFlags.END_OF_SESSION) this.endOfSession();
  }

  private channelGap(fromSeq: number, toSeq: number): void {
    this.channelGaps++;
    this.gapMessages += toSeq - fromSeq + 1;
    this.contiguousSince = toSeq + 1;
    this.emit({ type: 'gap', source: 'incremental', fromSeq, toSeq });
    for (const inst of this.insts.values()) {
      // Buffered messages before the gap are never needed again: any snapshot adoptable from now
      // on reflects everything up to the gap (its lastIncrementalSeq + 1 >= contiguousSince).
      inst.pending = [];
      inst.droppedThrough = 0;
      if (inst.incAssembly) {
        inst.incAssembly = null;
        if (inst.state === 'live' || inst.state === 'suspect') {
          inst.gaps++;
          this.setState(inst, 'stale', 'RESET snapshot interrupted by a channel gap');
          continue;
        }
      }
      if (inst.state === 'live') this.setState(inst, 'suspect', `channel gap ${fromSeq}..${toSeq}`);
    }
  }

  private loop(first: number, count: number, flags: number, messages: { seq: number; message: ObmcMessage }[]): void {
    if (count === 0) this.heartbeats++;
    if (!this.wantsSnap) {
      // Out of the loop (every instrument LIVE): what still arrives (packets in flight at the
      // leave, or another socket on this host that keeps the group joined) serves checksum
      // checks only. Sequence tracking restarts at the next join, so a leave and a later join
      // are not counted as a loop gap.
      for (const { seq, message } of messages) this.loopMessage(seq, message);
      if (flags & PacketFlags.END_OF_SESSION) this.endOfSession();
      return;
    }
    if (this.snapNext !== undefined && first > this.snapNext) {
      this.snapshotGaps++;
      this.emit({ type: 'gap', source: 'snapshot', fromSeq: this.snapNext, toSeq: first - 1 });
      // A lost chunk spoils the snapshot it belongs to: wait for the next cycle (design 2.8).
      for (const inst of this.insts.values()) inst.loopAssembly = null;
    }
    if (this.snapNext !== undefined && count > 0 && first + count <= this.snapNext) {
      this.duplicatePackets++;
      return;
    }
    const next = this.snapNext ?? first;
    for (const { seq, message } of messages) {
      if (seq < next) continue;
      this.loopMessage(seq, message);
    }
    this.snapNext = Math.max(next, first + count);
    if (flags & PacketFlags.END_OF_SESSION) this.endOfSession();
  }

  private endOfSession(): void {
    if (this.ended) return;
    this.ended = true;
    this.emit({ type: 'end-of-session' });
  }

  // ---------------------------------------------------------------------------------------
  // Messages

  private inst(id: number): Inst {
    let inst = this.insts.get(id);
    if (!inst) {
      inst = {
        id,
        def: undefined,
        state: 'unknown',
        everLive: false,
        venueStatus: InstrumentStatusCode.UNKNOWN,
        bookSeq: 0,
        tradeSeq: -1,
        book: new OrderBook(0, 0),
        priceExponent: 0,
        sizeExponent: 0,
        pending: [],
        droppedThrough: 0,
        incAssembly: null,
        loopAssembly: null,
        gaps: 0,
        recoveries: 0,
        syncs: 0,
        resets: 0,
        checksumOk: 0,
        checksumMismatch: 0,
        trades: 0,
        tradesLost: 0,
      };
      this.insts.set(id, inst);
    }
    return inst;
  }

  private incMessage(seq: number, m: ObmcMessage): void {
    switch (m.type) {
      case 'SystemEvent':
        if (m.eventCode === SystemEventCode.END_OF_SESSION) this.endOfSession();
        else if (m.eventCode === SystemEventCode.CHANNEL_RESET) {
          for (const inst of this.insts.values()) {
            inst.book.clear();
            inst.pending = [];
            if (inst.state === 'live' || inst.state === 'suspect') this.setState(inst, 'stale', 'channel reset');
          }
        }
        return;
      case 'InstrumentDefinition':
        this.definition(m);
        return;
      case 'InstrumentStatus':
        this.status(m, 'incremental');
        return;
      case 'BookDelta':
        this.delta(seq, m);
        return;
      case 'BookSnapshot':
        this.incSnapshot(seq, m);
        return;
      case 'Trade':
        this.trade(m);
        return;
    }
  }

  private loopMessage(seq: number, m: ObmcMessage): void {
    switch (m.type) {
      case 'SystemEvent':
        if (m.eventCode === SystemEventCode.SNAPSHOT_CYCLE_START) this.loopInstrumentCount = m.instrumentCount;
        else if (m.eventCode === SystemEventCode.SNAPSHOT_CYCLE_END) {
          this.loopInstrumentCount = m.instrumentCount;
          this.snapshotCycles++;
        } else if (m.eventCode === SystemEventCode.END_OF_SESSION) this.endOfSession();
        return;
      case 'InstrumentDefinition':
        this.definition(m);
        return;
      case 'InstrumentStatus':
        this.status(m, 'snapshot');
        return;
      case 'BookSnapshot': {
        const inst = this.inst(m.instrumentId);
        const done = this.assemble(inst, 'loopAssembly', seq, m);
        if (done) this.loopSnapshot(inst, done);
        return;
      }
      case 'BookDelta':
      case 'Trade':
        // Not sent on the loop; a foreign publisher's mistake is ignored rather than applied.
        return;
    }
  }

  private definition(d: InstrumentDefinition): void {
    const inst = this.inst(d.instrumentId);
    const prev = inst.def;
    if (prev && !newerVersion(d.definitionVersion, prev.definitionVersion)) return;
    inst.def = d;
    if (inst.state === 'unknown') {
      inst.priceExponent = d.priceExponent;
      inst.sizeExponent = d.sizeExponent;
      this.setState(inst, 'syncing', 'definition');
      return;
    }
    if (prev && (prev.priceExponent !== d.priceExponent || prev.sizeExponent !== d.sizeExponent)) {
      // New exponents: the book must be replaced (a RESET follows on INC, design 2.4).
      inst.book.clear();
      inst.priceExponent = d.priceExponent;
      inst.sizeExponent = d.sizeExponent;
      if (inst.state !== 'syncing') this.setState(inst, 'syncing', `definition version ${d.definitionVersion}: new exponents`);
    }
  }

  private status(s: InstrumentStatus, source: FeedSource): void {
    const inst = this.inst(s.instrumentId);
    const live = inst.state === 'live' || inst.state === 'suspect';
    // A loop status can be older than the incremental position; LIVE books take venue status
    // from the incremental stream only.
    if (source === 'incremental' || !live) inst.venueStatus = s.status;
    if (inst.tradeSeq < 0 || (source === 'incremental' && s.tradeSeq > inst.tradeSeq)) {
      if (inst.tradeSeq >= 0 && s.tradeSeq > inst.tradeSeq) inst.tradesLost += s.tradeSeq - inst.tradeSeq;
      inst.tradeSeq = s.tradeSeq;
    }
    if (!live) return;
    if (s.bookSeq === inst.bookSeq) {
      if (s.bookChecksum !== 0) {
        if (this.checksumOf(inst) === s.bookChecksum) {
          inst.checksumOk++;
          if (inst.state === 'suspect') this.setState(inst, 'live', `status confirms bookSeq ${s.bookSeq} and checksum`);
        } else {
          inst.checksumMismatch++;
          this.setState(inst, 'stale', `checksum mismatch at bookSeq ${s.bookSeq}`);
        }
      } else if (inst.state === 'suspect' && source === 'incremental') {
        this.setState(inst, 'live', `status confirms bookSeq ${s.bookSeq}`);
      }
    } else if (s.bookSeq > inst.bookSeq && source === 'incremental') {
      // On the incremental stream a status follows every delta it reports: we missed some.
      inst.gaps++;
      this.setState(inst, 'stale', `status shows bookSeq ${s.bookSeq}, book at ${inst.bookSeq}`);
    }
  }

  private delta(seq: number, d: BookDelta): void {
    const inst = this.inst(d.instrumentId);
    if (inst.state === 'live' || inst.state === 'suspect') {
      if (d.bookSeq <= inst.bookSeq) return;
      if (d.priceExponent !== inst.priceExponent || d.sizeExponent !== inst.sizeExponent) {
        this.setState(inst, 'stale', `delta exponents ${d.priceExponent}/${d.sizeExponent} differ from the definition`);
      } else if (d.bookSeq === inst.bookSeq + 1) {
        const problem = this.applyDelta(inst, d);
        if (problem === undefined) {
          if (inst.state === 'suspect') this.setState(inst, 'live', `contiguous bookSeq ${d.bookSeq} after a channel gap`);
          return;
        }
        this.setState(inst, 'stale', problem);
      } else {
        inst.gaps++;
        this.setState(inst, 'stale', `bookSeq jump ${inst.bookSeq} -> ${d.bookSeq}`);
      }
    }
    this.buffer(inst, seq, d);
  }

  private buffer(inst: Inst, seq: number, d: BookDelta): void {
    inst.pending.push({ seq, delta: d });
    if (inst.pending.length > this.maxPending) {
      const dropped = inst.pending.shift();
      if (dropped) inst.droppedThrough = dropped.seq;
    }
  }

  private incSnapshot(seq: number, s: BookSnapshot): void {
    const inst = this.inst(s.instrumentId);
    const done = this.assemble(inst, 'incAssembly', seq, s);
    if (!done) return;
    if (done.flags & BOOK_SNAPSHOT_RESET) {
      if ((inst.state === 'live' || inst.state === 'suspect') && done.bookSeq <= inst.bookSeq) return;
      if ((inst.state === 'live' || inst.state === 'suspect') && done.bookSeq > inst.bookSeq + 1) inst.gaps++;
      if (this.adopt(inst, done, 'inline RESET snapshot')) inst.resets++;
      return;
    }
    // A refresh snapshot inline (single-group variant, design 2.10): it reflects every message
    // before it on this stream, so a receiver that is behind may adopt it at once.
    if (inst.state === 'live' || inst.state === 'suspect') this.compare(inst, done);
    else this.adopt(inst, done, 'inline refresh snapshot');
  }

  private loopSnapshot(inst: Inst, s: Assembly): void {
    if (inst.state === 'live') {
      this.compare(inst, s);
      return;
    }
    if (inst.state === 'suspect' && s.bookSeq <= inst.bookSeq) {
      this.compare(inst, s);
      return;
    }
    // Adopt only if no incremental message for this instrument can hide between the snapshot
    // and what has been received or buffered since (design 2.11 step 3).
    const since = Math.max(this.contiguousSince ?? Number.POSITIVE_INFINITY, inst.droppedThrough + 1);
    if (since > s.lastIncrementalSeq + 1) return;
    if (inst.state === 'suspect') inst.gaps++;
    this.adopt(inst, s, `snapshot loop at bookSeq ${s.bookSeq}`);
  }

  /** Same bookSeq: the checksums must agree; a suspect instrument is confirmed by it. */
  private compare(inst: Inst, s: Assembly): void {
    if (s.bookSeq !== inst.bookSeq || s.checksum === 0) return;
    if (this.checksumOf(inst) === s.checksum) {
      inst.checksumOk++;
      if (inst.state === 'suspect') this.setState(inst, 'live', `snapshot confirms bookSeq ${s.bookSeq}`);
    } else {
      inst.checksumMismatch++;
      this.setState(inst, 'stale', `checksum mismatch against snapshot at bookSeq ${s.bookSeq}`);
    }
  }

  /** Collect chunks in order; returns the whole snapshot once its last chunk arrives. */
  private assemble(inst: Inst, slot: 'incAssembly' | 'loopAssembly', seq: number, s: BookSnapshot): Assembly | null {
    let a = inst[slot];
    if (s.chunkIndex === 0) {
      a = {
        bookSeq: s.bookSeq,
        chunkCount: s.chunkCount,
        nextChunk: 0,
        lastSeq: seq - 1,
        flags: s.flags,
        status: s.status,
        priceExponent: s.priceExponent,
        sizeExponent: s.sizeExponent,
        lastIncrementalSeq: s.lastIncrementalSeq,
        checksum: s.bookChecksum,
        entries: [],
      };
    }
    if (!a || s.chunkIndex !== a.nextChunk || s.bookSeq !== a.bookSeq || s.chunkCount !== a.chunkCount || seq !== a.lastSeq + 1) {
      // Out of order or from another snapshot: this one cannot be completed.
      inst[slot] = null;
      return null;
    }
    for (const e of s.entries) a.entries.push(e);
    a.nextChunk++;
    a.lastSeq = seq;
    if (a.nextChunk < a.chunkCount) {
      inst[slot] = a;
      return null;
    }
    inst[slot] = null;
    return a;
  }

  /**
   * Replace the book with a complete snapshot, then apply buffered deltas strictly after it.
   * The instrument becomes LIVE only when the buffer is consumed without a hole.
   */
  private adopt(inst: Inst, s: Assembly, why: string): boolean {
    if (s.checksum !== 0 && entriesChecksum(s.bookSeq, s.entries) !== s.checksum) {
      inst.checksumMismatch++;
      return false;
    }
    const book = new OrderBook(0, 0);
    for (const e of s.entries) {
      if ((e.side !== EntrySide.BID && e.side !== EntrySide.ASK) || e.action !== EntryAction.SET || e.size <= 0) return false;
      book.side(e.side === EntrySide.BID).set(e.price, e.size);
    }
    if (s.checksum !== 0) inst.checksumOk++;
    inst.book = book;
    inst.bookSeq = s.bookSeq;
    inst.priceExponent = s.priceExponent;
    inst.sizeExponent = s.sizeExponent;
    inst.venueStatus = s.status;
    const pending = inst.pending;
    inst.pending = [];
    for (let i = 0; i < pending.length; i++) {
      const { delta } = pending[i]!;
      if (delta.bookSeq <= inst.bookSeq) continue;
      if (delta.bookSeq !== inst.bookSeq + 1) {
        // A hole inside the buffer: keep what follows and wait for the next snapshot.
        inst.pending = pending.slice(i);
        if (inst.state !== 'syncing') this.setState(inst, 'syncing', `buffer hole after bookSeq ${inst.bookSeq}`);
        return true;
      }
      const problem = delta.priceExponent !== inst.priceExponent || delta.sizeExponent !== inst.sizeExponent
        ? 'buffered delta exponents differ from the snapshot'
        : this.applyDelta(inst, delta);
      if (problem !== undefined) {
        inst.pending = pending.slice(i + 1);
        this.setState(inst, 'stale', problem);
        return true;
      }
    }
    const wasLive = inst.everLive;
    if (inst.state !== 'live') this.setState(inst, 'live', why);
    if (wasLive) inst.recoveries++;
    else inst.syncs++;
    return true;
  }

  /**
   * Apply one delta; returns why it could not be. Malformed entries are found before anything
   * is applied; a window overflow is found after (the caller marks the instrument STALE either
   * way, and a STALE book is replaced by the next snapshot).
   */
  private applyDelta(inst: Inst, d: BookDelta): string | undefined {
    const book = inst.book;
    for (const e of d.entries) {
      if (e.side !== EntrySide.BID && e.side !== EntrySide.ASK) return `unknown side ${e.side} at bookSeq ${d.bookSeq}`;
      if (e.action !== EntryAction.SET && e.action !== EntryAction.DELETE) return `unknown action ${e.action} at bookSeq ${d.bookSeq}`;
      // The publisher only deletes prices it published: a delete of a price we do not hold
      // means this book has diverged.
      if (e.action === EntryAction.DELETE && book.side(e.side === EntrySide.BID).sizeAt(e.price) === 0) {
        return `delete of unknown price ${e.price} at bookSeq ${d.bookSeq}`;
      }
    }
    for (const e of d.entries) book.side(e.side === EntrySide.BID).set(e.price, e.action === EntryAction.DELETE ? 0 : e.size);
    inst.bookSeq = d.bookSeq;
    const max = inst.def?.maxDepth;
    if (max !== undefined && max > 0 && (book.bids.count > max || book.asks.count > max) && (d.flags & BOOK_DELTA_END_OF_EVENT) !== 0) {
      return `more than maxDepth ${max} levels after bookSeq ${d.bookSeq}`;
    }
    return undefined;
  }

  private trade(t: Trade): void {
    const inst = this.inst(t.instrumentId);
    if (inst.tradeSeq >= 0 && t.tradeSeq <= inst.tradeSeq) return;
    if (inst.tradeSeq >= 0 && t.tradeSeq > inst.tradeSeq + 1) inst.tradesLost += t.tradeSeq - inst.tradeSeq - 1;
    inst.tradeSeq = t.tradeSeq;
    inst.trades++;
  }

  private setState(inst: Inst, to: InstrumentSyncState, reason: string): void {
    const from = inst.state;
    if (from === to) return;
    inst.state = to;
    if (to === 'live') inst.everLive = true;
    this.emit({
      type: 'state',
      instrumentId: inst.id,
      exchange: inst.def?.exchange ?? '',
      symbol: inst.def?.symbol ?? '',
      from,
      to,
      reason,
    });
  }

  private updateMembership(): void {
    let want = true;
    if (this.leaveWhenLive && this.loopInstrumentCount !== undefined) {
      let live = 0;
      let all = true;
      for (const inst of this.insts.values()) {
        if (inst.state === 'live') live++;
        else all = false;
      }
      want = !(all && live >= this.loopInstrumentCount);
    }
    if (want !== this.wantsSnap) {
      this.wantsSnap = want;
      if (!want) {
        // Once out of the loop, assemblies in flight will never complete.
        for (const inst of this.insts.values()) inst.loopAssembly = null;
        this.snapNext = undefined;
      }
      this.emit({ type: 'snapshot-membership', join: want });
      this.onSnapshotMembership?.(want);
    }
  }

  private checksumOf(inst: Inst): number {
    return bookChecksum(inst.bookSeq, inst.book.bids, inst.book.asks);
  }

  // ---------------------------------------------------------------------------------------
  // Output

  wantsSnapshot(): boolean {
    return this.wantsSnap;
  }

  instruments(): ReceiverInstrumentView[] {
    const out: ReceiverInstrumentView[] = [];
    for (const inst of this.insts.values()) {
      out.push({
        instrumentId: inst.id,
        exchange: inst.def?.exchange ?? '',
        symbol: inst.def?.symbol ?? '',
        state: inst.state,
        venueStatus: STATUS_NAMES[inst.venueStatus] ?? `code ${inst.venueStatus}`,
        bookSeq: inst.bookSeq,
        tradeSeq: Math.max(0, inst.tradeSeq),
        definitionVersion: inst.def?.definitionVersion ?? 0,
        priceExponent: inst.priceExponent,
        sizeExponent: inst.sizeExponent,
        maxDepth: inst.def?.maxDepth ?? 0,
        bidLevels: inst.book.bids.count,
        askLevels: inst.book.asks.count,
        gaps: inst.gaps,
        recoveries: inst.recoveries,
        syncs: inst.syncs,
        resets: inst.resets,
        checksumOk: inst.checksumOk,
        checksumMismatch: inst.checksumMismatch,
        trades: inst.trades,
        tradesLost: inst.tradesLost,
        pending: inst.pending.length,
      });
    }
    return out.sort((a, b) => a.instrumentId - b.instrumentId);
  }

  /** Every instrument's book keyed "exchange:symbol" (the publisher's publishedBooks() key). */
  books(): Map<string, ReceivedBook> {
    const out = new Map<string, ReceivedBook>();
    for (const inst of this.insts.values()) {
      if (!inst.def) continue;
      const top = inst.book.top(Number.MAX_SAFE_INTEGER);
      out.set(`${inst.def.exchange}:${inst.def.symbol}`, {
        instrumentId: inst.id,
        exchange: inst.def.exchange,
        symbol: inst.def.symbol,
        state: inst.state,
        venueStatus: STATUS_NAMES[inst.venueStatus] ?? `code ${inst.venueStatus}`,
        bookSeq: inst.bookSeq,
        priceExponent: inst.priceExponent,
        sizeExponent: inst.sizeExponent,
        bids: top.bids,
        asks: top.asks,
        checksum: this.checksumOf(inst),
      });
    }
    return out;
  }

  channel(): ChannelView {
    return {
      channelId: this.channelId,
      sessionId: this.sessionId,
      incrementalNextSeq: this.incNext,
      snapshotNextSeq: this.snapNext,
      contiguousSince: this.contiguousSince,
      packets: this.packets,
      bytes: this.bytes,
      heartbeats: this.heartbeats,
      channelGaps: this.channelGaps,
      gapMessages: this.gapMessages,
      snapshotGaps: this.snapshotGaps,
      duplicatePackets: this.duplicatePackets,
      skippedMessages: this.skippedMessages,
      decodeErrors: { ...this.decodeErrors },
      foreignPackets: this.foreignPackets,
      staleSessionPackets: this.staleSessionPackets,
      sessionChanges: this.sessionChanges,
      snapshotCycles: this.snapshotCycles,
      loopInstrumentCount: this.loopInstrumentCount,
      wantsSnapshot: this.wantsSnap,
      ended: this.ended,
      silent: this.silent,
    };
  }
}
