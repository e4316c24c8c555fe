/**
 * Buffer-then-snapshot alignment shared by the REST-snapshot venues (Binance spot/USD-M/COIN-M,
 * Gate, KuCoin, Bybit full depth): venues.md section 1.1 BUFFERING -> SNAPSHOT_PENDING -> SYNCING
 * -> LIVE. The venue supplies the id rules; this file owns the order of operations:
 *
 *   1. subscribe, then buffer every diff (bounded) and ask for a snapshot (through the REST budget);
 *   2. snapshot older than the first buffered diff -> ask again;
 *   3. drop buffered diffs the snapshot already contains;
 *   4. the first remaining diff must bridge the snapshot id, else gap -> resync;
 *   5. apply the rest, each checked for continuity, then go live.
 */
import type { SymbolBook } from './symbolBook.ts';
import type { SnapshotPriority } from '../venues/venue.ts';

/** A diff reduced to its ids; the venue keeps its own payload alongside. */
export interface IdRange {
  /** First update id in the event (Binance U, Gate U, KuCoin sequenceStart). */
  first: number;
  /** Last update id in the event (Binance u). */
  last: number;
  /** Previous event's last id when the venue sends it (Binance futures pu), else -1. */
  prev: number;
}

export type Continuity = 'ok' | 'duplicate' | 'gap';

export interface AlignRules {
  /** Snapshot id `snapId` already contains this diff: drop it. */
  contained(d: IdRange, snapId: number): boolean;
  /** The first diff applied after the snapshot must satisfy this. */
  bridges(d: IdRange, snapId: number): boolean;
  /** Continuity of `d` after the last applied id `lastId`. */
  continues(d: IdRange, lastId: number): Continuity;
  /** The snapshot is too old to align with the first buffered diff (refetch). */
  tooOld(snapId: number, firstBuffered: IdRange): boolean;
  /** Text for the gap anomaly: what was expected. */
  expected(lastId: number): string;
}

export interface Buffered<P> {
  ids: IdRange;
  payload: P;
  recvTsNs: bigint;
}

export interface AlignedApplier<P> {
  /** Apply one diff's levels to the book; returns the number of level updates, or -1 if it failed. */
  apply(sb: SymbolBook, payload: P, recvTsNs: bigint): number;
  /** Ask for a snapshot of this symbol. */
  requestSnapshot(sb: SymbolBook, priority: SnapshotPriority): void;
  /** Optional: the diff `ids` was applied and the book checked (sb.seq === ids.last). */
  applied?(sb: SymbolBook, ids: IdRange): void;
}

/**
 * Per-symbol alignment state machine. One instance per SymbolBook, owned by the venue session.
 */
export class RestAligned<P> {
  private readonly rules: AlignRules;
  private readonly applier: AlignedApplier<P>;
  readonly sb: SymbolBook<Buffered<P>>;
  /** After a snapshot, the first diff must bridge (not just continue). */
  private bridged = false;
  /** A snapshot request is outstanding. */
  private pending = false;
  /** Snapshot refetches because the snapshot was older than the buffer. */
  refetches = 0;

  constructor(sb: SymbolBook, rules: AlignRules, applier: AlignedApplier<P>) {
    this.sb = sb as SymbolBook<Buffered<P>>;
    this.rules = rules;
    this.applier = applier;
  }

  /** A diff arrived from the venue. */
  onDiff(ids: IdRange, payload: P, recvTsNs: bigint): void {
    const sb = this.sb;
    sb.counters.messages++;
    if (ids.last > sb.lastSeenSeq) sb.lastSeenSeq = ids.last;
    if (sb.state === 'live' || sb.state === 'stale') {
      this.applyLive(ids, payload, recvTsNs);
      return;
    }
    // Not live: buffer and make sure a snapshot is on its way. The buffer itself must chain: a
    // hole in it means the diffs before the hole can never be bridged (Bybit full-depth rule,
    // and true of every id-chained feed), so it restarts from this diff and the gap is reported.
    const prev = sb.buffer[sb.buffer.length - 1];
    if (prev !== undefined) {
      const c = this.rules.continues(ids, prev.ids.last);
      if (c === 'duplicate') {
        sb.anomaly(ids.last === prev.ids.last ? 'duplicate' : 'regress', `buffered diff [${ids.first}, ${ids.last}] at or before [${prev.ids.first}, ${prev.ids.last}]`);
        return;
      }
      if (c === 'gap') {
        sb.anomaly('gap', `while buffering: expected ${this.rules.expected(prev.ids.last)}, got [${ids.first}, ${ids.last}]${ids.prev >= 0 ? ` prev ${ids.prev}` : ''}`);
        this.invalidated();
      }
    }
    if (sb.buffer.length >= sb.maxBuffer) {
      sb.anomaly('buffer-overflow', `more than ${sb.maxBuffer} diffs buffered while waiting for a snapshot`);
      return;
    }
    sb.buffer.push({ ids, payload, recvTsNs });
    if (sb.state === 'connecting') sb.transition('buffering', 'subscribed', 'first diff buffered');
    if (!this.pending) this.askSnapshot(sb.state === 'resyncing' ? 'gap' : 'cold');
  }

  /** Forget state after an anomaly or reconnect; the next diff restarts buffering. */
  reset(): void {
    this.bridged = false;
    this.pending = false;
    this.sb.buffer = [];
  }

  /** Mark that a snapshot is (again) needed now, e.g. for a manual resync. */
  askSnapshot(priority: SnapshotPriority): void {
    this.pending = true;
    if (this.sb.state === 'buffering' || this.sb.state === 'connecting') {
      this.sb.transition('snapshot-pending', 'snapshot requested', priority);
    }
    this.applier.requestSnapshot(this.sb, priority);
  }

  /** The snapshot request failed for good (not a rate-limit delay); allow a new one. */
  snapshotFailed(): void {
    this.pending = false;
  }

  /**
   * A snapshot arrived: `load` fills the cleared book and returns the snapshot id, or -1 when the
   * body was unusable.
   */
  onSnapshot(load: (sb: SymbolBook) => number, depth: number): void {
    const sb = this.sb;
    this.pending = false;
    const first = sb.buffer[0];
    sb.book.clear();
    const snapId = load(sb);
    if (snapId < 0) {
      sb.book.clear();
      sb.anomaly('invalid-price', 'unusable snapshot body');
      this.invalidated();
      return;
    }
    sb.counters.snapshots++;
    if (first !== undefined && this.rules.tooOld(snapId, first.ids)) {
      this.refetches++;
      sb.book.clear();
      sb.transition('snapshot-pending', 'snapshot-too-old', `snapshot id ${snapId} older than first buffered ${first.ids.first}`);
      this.askSnapshot('gap');
      return;
    }
    sb.book.markSnapshot('snapshot', depth);
    sb.seq = snapId;
    this.bridged = false;
    sb.transition('syncing', 'snapshot', `snapshot id ${snapId}`);
    const buffered = sb.buffer;
    sb.buffer = [];
    for (const b of buffered) {
      if (this.rules.contained(b.ids, snapId)) {
        sb.counters.droppedBeforeSnapshot++;
        continue;
      }
      if (!this.applyOne(b.ids, b.payload, b.recvTsNs)) return;
    }
    sb.transition('live', 'aligned', `book id ${sb.seq}`);
  }

  private applyLive(ids: IdRange, payload: P, recvTsNs: bigint): void {
    if (!this.applyOne(ids, payload, recvTsNs)) return;
    if (this.sb.state === 'stale') this.sb.transition('live', 'fresh data');
  }

  /** Apply one diff with the bridge/continuity rule. Returns false when the book was invalidated. */
  private applyOne(ids: IdRange, payload: P, recvTsNs: bigint): boolean {
    const sb = this.sb;
    if (!this.bridged) {
      if (this.rules.contained(ids, sb.seq)) {
        sb.counters.droppedBeforeSnapshot++;
        return true;
      }
      if (!this.rules.bridges(ids, sb.seq)) {
        sb.anomaly('gap', `first diff [${ids.first}, ${ids.last}] does not bridge snapshot id ${sb.seq}`);
        return this.invalidated();
      }
      this.bridged = true;
    } else {
      const c = this.rules.continues(ids, sb.seq);
      if (c === 'duplicate') {
        sb.anomaly(ids.last === sb.seq ? 'duplicate' : 'regress', `diff [${ids.first}, ${ids.last}] at or before applied id ${sb.seq}`);
        return true;
      }
      if (c === 'gap') {
        sb.anomaly('gap', `expected ${this.rules.expected(sb.seq)}, got [${ids.first}, ${ids.last}]${ids.prev >= 0 ? ` prev ${ids.prev}` : ''}`);
        return this.invalidated();
      }
    }
    const n = this.applier.apply(sb, payload, recvTsNs);
    if (n < 0) return this.invalidated();
    sb.seq = ids.last;
    if (sb.book.isCrossed()) {
      sb.anomaly('crossed-book', `best bid ${sb.book.bids.bestPrice()} >= best ask ${sb.book.asks.bestPrice()} after id ${ids.last}`);
      return this.invalidated();
    }
    this.applier.applied?.(sb, ids);
    sb.afterApply(n);
    return true;
  }

  /** The book was invalidated: the next diff starts buffering for a new snapshot. */
  private invalidated(): false {
    this.bridged = false;
    this.pending = false;
    return false;
  }
}

/** Binance spot and Gate: next U == prev u + 1; bridge U <= L+1 <= u; drop u <= L. */
export const SPOT_STYLE_RULES: AlignRules = {
  contained: (d, snap) => d.last <= snap,
  bridges: (d, snap) => d.first <= snap + 1 && snap + 1 <= d.last,
  continues: (d, last) => (d.last <= last ? 'duplicate' : d.first === last + 1 ? 'ok' : 'gap'),
  tooOld: (snap, first) => snap < first.first - 1,
  expected: (last) => `U = ${last + 1}`,
};

/**
 * Binance USD-M and COIN-M: drop u < L; first applied needs U <= L <= u; then pu == prev u
 * (futures ids are not consecutive between events, so only `pu` proves continuity).
 */
export const FUTURES_STYLE_RULES: AlignRules = {
  contained: (d, snap) => d.last < snap,
  bridges: (d, snap) => d.first <= snap && snap <= d.last,
  continues: (d, last) => (d.last <= last ? 'duplicate' : d.prev === last ? 'ok' : 'gap'),
  tooOld: (snap, first) => snap < first.first,
  expected: (last) => `pu = ${last}`,
};
