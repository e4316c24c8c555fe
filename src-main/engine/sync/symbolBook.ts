/**
 * One (venue, symbol): its order book, its sync state machine (venues.md section 1) and its
 * counters. Venue sessions drive it; it never decides venue rules itself. Every state change
 * is timestamped with its cause and reported through `SymbolBookHooks`.
 */
import type { AnomalyKind, ChecksumResult, Instrument, SyncState } from '../../../src-shared/model/market.ts';
import { NOT_EXACT, parseScaled, parseScaledAt, requiredScale, scanned, scanScaledAt, scanScaledBytes } from '../../../src-shared/model/decimal.ts';
import { frameBytes } from './frameBytes.ts';
import { OrderBook } from '../book/orderBook.ts';
import { walkLevelPairs } from '../../../src-shared/model/jsonScan.ts';
import { emptyCountersView } from '../../../src-shared/contracts/engineApi.ts';
import type { SymbolCountersView } from '../../../src-shared/contracts/engineApi.ts';

export interface Transition {
  tsMs: number;
  from: SyncState;
  to: SyncState;
  cause: string;
  detail?: string;
}

/** The counters the API shows (src-shared/contracts/engineApi.ts) and the engine's own. */
export interface SymbolCounters extends SymbolCountersView {
  /** Diffs dropped because the snapshot already contained them. */
  droppedBeforeSnapshot: number;
  /**
   * Level references that matched the book, on venues whose updates name an existing level
   * (BitMEX update/delete ids, Deribit change/delete actions): their continuity proof, beside
   * sequence ids. A reference the book cannot match is reported as a gap.
   */
  refsOk: number;
}

export function emptyCounters(): SymbolCounters {
  return { ...emptyCountersView(), droppedBeforeSnapshot: 0, refsOk: 0 };
}

export interface AnomalyRecord {
  tsMs: number;
  kind: AnomalyKind;
  detail: string;
}

/** How the owner (the feed, or the verifier) learns what happens to a book. */
export interface SymbolBookHooks {
  /** State changed. */
  onTransition?(sb: SymbolBook, t: Transition): void;
  /** An anomaly was detected; the book is no longer trusted. The owner starts the resync. */
  onAnomaly?(sb: SymbolBook, kind: AnomalyKind, detail: string): void;
  /** A message was applied and the book is live (publish point). */
  onApplied?(sb: SymbolBook): void;
}

/** Clock used for transition timestamps; tests and replays may substitute recorded time. */
export type Clock = () => number;

const MAX_TRANSITIONS = 64;
const MAX_ANOMALIES = 64;

export class SymbolBook<Buffered = unknown> {
  readonly instrument: Instrument;
  readonly book: OrderBook;
  state: SyncState = 'connecting';
  stateSinceMs: number;
  readonly counters: SymbolCounters = emptyCounters();
  readonly transitions: Transition[] = [];
  readonly anomalies: AnomalyRecord[] = [];
  /** Last applied venue sequence id (venue-specific meaning), -1 before the first. */
  seq = -1;
  /** Diffs waiting for a snapshot (REST-snapshot venues). */
  buffer: Buffered[] = [];
  /** Bound on `buffer`; past it the symbol resyncs instead of growing without limit. */
  maxBuffer = 20_000;
  /** Highest sequence id received (for "sequence lag" = received but not yet applied). */
  lastSeenSeq = -1;
  lastUpdateRecvNs = 0n;
  lastExchTsMs = 0;
  /** Last exchange-to-receive latency in microseconds (NaN until known). */
  lastLatencyUs = Number.NaN;
  /** Count of recent latency samples (ring) for p50/p99. */
  readonly latencyUs = new Float64Array(512);
  latencyCount = 0;
  private readonly hooks: SymbolBookHooks;
  private readonly clock: Clock;

  constructor(instrument: Instrument, hooks: SymbolBookHooks = {}, clock: Clock = Date.now) {
    this.instrument = instrument;
    this.book = new OrderBook(instrument.priceScale, instrument.sizeScale);
    this.hooks = hooks;
    this.clock = clock;
    this.stateSinceMs = clock();
  }

  get venue(): string {
    return this.instrument.venue;
  }

  get symbol(): string {
    return this.instrument.venueSymbol;
  }

  isLive(): boolean {
    return this.state === 'live';
  }

  transition(to: SyncState, cause: string, detail?: string): void {
    if (to === this.state) return;
    const t: Transition = { tsMs: this.clock(), from: this.state, to, cause };
    if (detail !== undefined) t.detail = detail;
    this.state = to;
    this.stateSinceMs = t.tsMs;
    this.transitions.push(t);
    if (this.transitions.length > MAX_TRANSITIONS) this.transitions.shift();
    this.hooks.onTransition?.(this, t);
  }

  /**
   * Report an anomaly. Duplicates and regressions are counted and the message dropped (the book
   * stays valid). Everything else invalidates the book: it goes to `resyncing` and the owner is
   * told to resync this symbol only.
   */
  anomaly(kind: AnomalyKind, detail: string): void {
    const rec: AnomalyRecord = { tsMs: this.clock(), kind, detail };
    this.anomalies.push(rec);
    if (this.anomalies.length > MAX_ANOMALIES) this.anomalies.shift();
    switch (kind) {
      case 'duplicate':
        this.counters.duplicates++;
        return;
      case 'regress':
        this.counters.regress++;
        return;
      case 'gap':
        this.counters.gaps++;
        break;
      case 'checksum-mismatch':
        this.counters.checksumFailed++;
        break;
      case 'crossed-book':
        this.counters.crossed++;
        break;
      case 'invalid-size':
      case 'invalid-price':
        this.counters.invalid++;
        break;
      case 'stale':
        this.counters.stale++;
        break;
      default:
        break;
    }
    if (kind === 'stale') {
      // A stale book is kept but flagged (venues.md 1.1 STALE); the owner decides to probe/reconnect.
      this.transition('stale', kind, detail);
      this.hooks.onAnomaly?.(this, kind, detail);
      return;
    }
    this.counters.resyncs++;
    this.buffer = [];
    this.transition('resyncing', kind, detail);
    this.hooks.onAnomaly?.(this, kind, detail);
  }

  /** Count a checksum comparison. A mismatch is also an anomaly (resync). */
  checksum(result: ChecksumResult, detail?: string): void {
    if (result === 'ok') this.counters.checksumOk++;
    else if (result === 'not-provided') this.counters.checksumNotProvided++;
    else this.anomaly('checksum-mismatch', detail ?? 'checksum mismatch');
  }

  /** Record that a message carrying this exchange time was received now. */
  observe(recvTsNs: bigint, exchTsMs: number): void {
    this.lastUpdateRecvNs = recvTsNs;
    if (exchTsMs > 0) {
      this.lastExchTsMs = exchTsMs;
      const lat = Number(recvTsNs / 1000n) - exchTsMs * 1000;
      this.lastLatencyUs = lat;
      this.latencyUs[this.latencyCount % this.latencyUs.length] = lat;
      this.latencyCount++;
    }
  }

  /** Called by sessions after a message was applied; checks the book and notifies. */
  afterApply(levelUpdates: number): void {
    this.counters.applied++;
    this.counters.levelUpdates += levelUpdates;
    this.book.enforceCap();
    this.hooks.onApplied?.(this);
  }

  /** Set one level from venue strings, widening the scale when a finer decimal appears. */
  setLevel(isBid: boolean, priceText: string, sizeText: string): boolean {
    const book = this.book;
    let price = parseScaled(priceText, book.priceScale);
    let size = parseScaled(sizeText, book.sizeScale);
    if (Number.isNaN(price) || Number.isNaN(size)) {
      if (!this.widenFor(priceText, sizeText)) return false;
      price = parseScaled(priceText, book.priceScale);
      size = parseScaled(sizeText, book.sizeScale);
      if (Number.isNaN(price) || Number.isNaN(size)) {
        this.anomaly('invalid-price', `unparseable level ${priceText} @ ${sizeText}`);
        return false;
      }
    }
    if (size < 0) {
      this.anomaly('invalid-size', `negative size ${sizeText} at ${priceText}`);
      return false;
    }
    if (price <= 0) {
      this.anomaly('invalid-price', `non-positive price ${priceText}`);
      return false;
    }
    (isBid ? book.bids : book.asks).set(price, size);
    return true;
  }

  /**
   * `setLevel` for a price and size given as character ranges of `raw` (in-place scanners). The
   * common case allocates nothing; anything unusual takes the string path.
   */
  setLevelAt(isBid: boolean, raw: string, ps: number, pe: number, qs: number, qe: number): boolean {
    const book = this.book;
    const price = parseScaledAt(raw, ps, pe, book.priceScale);
    const size = parseScaledAt(raw, qs, qe, book.sizeScale);
    if (price > 0 && size >= 0) {
      (isBid ? book.bids : book.asks).set(price, size);
      return true;
    }
    return this.setLevel(isBid, raw.slice(ps, pe), raw.slice(qs, qe));
  }

  /** Level updates applied by the last `applyLevelPairs` call. */
  pairsApplied = 0;

  /**
   * Apply a `[["price","size"],...]` array found at `raw[start]` (in-place scan, no allocation
   * in the common case; entries may carry extra elements, which are skipped). Returns the index
   * after the closing ']' and sets `pairsApplied`, or -1 when the text is not such an array or a
   * level was rejected (the anomaly is already reported for rejected levels).
   */
  applyLevelPairs(isBid: boolean, raw: string, start: number): number {
    this.pairsApplied = 0;
    if (raw.charCodeAt(start) !== 91 /* [ */) return -1;
    const book = this.book;
    const side = isBid ? book.bids : book.asks;
    const priceScale = book.priceScale;
    const sizeScale = book.sizeScale;
    const b = frameBytes(raw);
    let i = start + 1;
    let applied = 0;
    for (;;) {
      let ps: number;
      if (b !== null) {
        // Fast path over the frame's bytes: both numbers in their plain form, parsed while
        // walking (no quote search). Anything else falls through to the string path below.
        let c = b[i]!;
        while (c === 32 || c === 44) c = b[++i]!;
        if (c === 93 /* ] */) {
          this.pairsApplied = applied;
          return i + 1;
        }
        if (c !== 91 || b[i + 1] !== 34) return -1;
        ps = i + 2;
        const price = scanScaledBytes(b, ps, priceScale);
        let at = scanned.end;
        if (price > 0 && b[at] === 34 && b[at + 1] === 44 && b[at + 2] === 34) {
          const size = scanScaledBytes(b, at + 3, sizeScale);
          at = scanned.end;
          if (size >= 0 && b[at] === 34) {
            const close = b[at + 1] === 93 ? at + 1 : raw.indexOf(']', at + 1);
            if (close < 0) return -1;
            side.set(price, size);
            applied++;
            i = close + 1;
            continue;
          }
        }
      } else {
        let c = raw.charCodeAt(i);
        while (c === 32 || c === 44) c = raw.charCodeAt(++i);
        if (c === 93 /* ] */) {
          this.pairsApplied = applied;
          return i + 1;
        }
        if (c !== 91 || raw.charCodeAt(i + 1) !== 34) return -1;
        ps = i + 2;
        const price = scanScaledAt(raw, ps, priceScale);
        let at = scanned.end;
        if (price > 0 && raw.charCodeAt(at) === 34 && raw.charCodeAt(at + 1) === 44 && raw.charCodeAt(at + 2) === 34) {
          const size = scanScaledAt(raw, at + 3, sizeScale);
          at = scanned.end;
          if (size >= 0 && raw.charCodeAt(at) === 34) {
            const close = raw.charCodeAt(at + 1) === 93 ? at + 1 : raw.indexOf(']', at + 1);
            if (close < 0) return -1;
            side.set(price, size);
            applied++;
            i = close + 1;
            continue;
          }
        }
      }
      const pe = raw.indexOf('"', ps);
      if (pe < 0 || raw.charCodeAt(pe + 1) !== 44 || raw.charCodeAt(pe + 2) !== 34) return walkSlow(this, isBid, raw, start);
      const qs = pe + 3;
      const qe = raw.indexOf('"', qs);
      if (qe < 0) return -1;
      const close = raw.charCodeAt(qe + 1) === 93 ? qe + 1 : raw.indexOf(']', qe + 1);
      if (close < 0) return -1;
      // General path (signs, exponents, a finer decimal that widens the scale, rejections).
      if (!this.setLevelAt(isBid, raw, ps, pe, qs, qe)) return -1;
      applied++;
      i = close + 1;
      if (book.priceScale !== priceScale || book.sizeScale !== sizeScale) return walkSlow(this, isBid, raw, start);
    }
  }

  /**
   * Widen the instrument scale so that these strings parse exactly. Returns false (after
   * reporting an anomaly) if the text is not a decimal or would not be held exactly.
   */
  widenFor(priceText: string, sizeText: string): boolean {
    const needP = Math.max(requiredScale(priceText), this.book.priceScale);
    const needS = Math.max(requiredScale(sizeText), this.book.sizeScale);
    if ((needP === this.book.priceScale && needS === this.book.sizeScale) || needP > 18 || needS > 18) {
      // Nothing to widen: the text is malformed or its mantissa is not an exact double integer.
      this.anomaly('invalid-price', `not an exact decimal level: ${priceText} @ ${sizeText}`);
      return false;
    }
    const okWiden = this.book.widen(needP, needS);
    this.instrument.priceScale = this.book.priceScale;
    this.instrument.sizeScale = this.book.sizeScale;
    if (!okWiden) {
      this.anomaly('invalid-size', `scale ${this.book.priceScale}/${this.book.sizeScale} cannot hold every level exactly (beyond the exact integers of a double)`);
      return false;
    }
    return true;
  }

  /** Parse a price string at the book's scale (widening if needed); NaN on bad input. */
  price(text: string): number {
    let v = parseScaled(text, this.book.priceScale);
    if (Number.isNaN(v) && this.widenFor(text, '0')) v = parseScaled(text, this.book.priceScale);
    return v;
  }

  /** Parse a size string at the book's scale (widening if needed); NaN on bad input. */
  size(text: string): number {
    let v = parseScaled(text, this.book.sizeScale);
    if (Number.isNaN(v) && this.widenFor('0', text)) v = parseScaled(text, this.book.sizeScale);
    return v;
  }

  /** Sequence lag: ids received but not yet applied (0 when live and caught up). */
  sequenceLag(): number {
    if (this.lastSeenSeq < 0 || this.seq < 0) return this.buffer.length;
    return Math.max(0, this.lastSeenSeq - this.seq);
  }

  latencyPercentile(p: number): number {
    const n = Math.min(this.latencyCount, this.latencyUs.length);
    if (n === 0) return Number.NaN;
    const sorted = Array.from(this.latencyUs.subarray(0, n)).sort((a, b) => a - b);
    return sorted[Math.min(n - 1, Math.floor((p / 100) * n))]!;
  }
}

/** Pairs with spaces or other unusual spacing: the general walker. */
function walkSlow(sb: SymbolBook, isBid: boolean, raw: string, start: number): number {
  let applied = 0;
  const end = walkLevelPairs(raw, start, (ps, pe, qs, qe) => {
    applied++;
    return sb.setLevelAt(isBid, raw, ps, pe, qs, qe);
  });
  sb.pairsApplied = end < 0 ? 0 : applied;
  return end;
}

export { NOT_EXACT };
