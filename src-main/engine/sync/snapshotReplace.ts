/**
 * Full-snapshot-per-message books (venues.md section 1.1, last paragraph): Upbit and Bithumb v1
 * `orderbook`, Hyperliquid `l2Book` -- and any venue's fixed-depth snapshot channel. Every message
 * is the venue's complete top-N book, so there is no sync logic: each one replaces the book. What
 * can still be checked, and is, per message:
 *
 * - order: a snapshot whose exchange time is older than the one applied last is a regress (the
 *   venue or the network reordered it); applying it would roll the book back, so it is dropped
 *   and counted. Equal times are applied (Hyperliquid sends the same book twice on subscribe);
 * - every level parses exactly (else the message is corrupt: anomaly, book emptied);
 * - the book does not cross after the whole message (venues.md 1.2).
 *
 * The trust band is the window the venue sends (`markSnapshot('window')`): the book proves
 * nothing beyond its worst level on each side.
 *
 * These venues have no sequence id: `SymbolBook.seq` holds the exchange time (ms) of the applied
 * snapshot, the only ordering key they give, so that "same seq" still means "same book message"
 * when a live book is compared with a reference (replay servers, status views).
 */
import type { SymbolBook } from './symbolBook.ts';

export type SnapshotOutcome = 'applied' | 'regress' | 'invalid' | 'crossed';

export class SnapshotReplace {
  readonly sb: SymbolBook;
  /** Exchange time of the last applied snapshot, -1 before the first. */
  lastExchTsMs = -1;

  constructor(sb: SymbolBook) {
    this.sb = sb;
  }

  /**
   * One snapshot message. `load` fills the cleared book and returns the number of levels set, or
   * -1 when a level was unusable (the SymbolBook has already recorded the anomaly).
   */
  onSnapshot(exchTsMs: number, recvTsNs: bigint, load: (sb: SymbolBook) => number): SnapshotOutcome {
    const sb = this.sb;
    sb.counters.messages++;
    if (exchTsMs < this.lastExchTsMs) {
      sb.anomaly('regress', `snapshot at ${exchTsMs} ms is older than the applied one at ${this.lastExchTsMs} ms`);
      return 'regress';
    }
    sb.observe(recvTsNs, exchTsMs);
    const book = sb.book;
    book.clear();
    const n = load(sb);
    if (n < 0) {
      // A half-loaded snapshot is worse than none: keep the book empty until the next one.
      book.clear();
      return 'invalid';
    }
    sb.counters.snapshots++;
    book.markSnapshot('window');
    this.lastExchTsMs = exchTsMs;
    sb.seq = exchTsMs;
    if (book.isCrossed()) {
      sb.anomaly('crossed-book', `best bid ${book.bids.bestPrice()} >= best ask ${book.asks.bestPrice()} in the snapshot at ${exchTsMs} ms`);
      return 'crossed';
    }
    if (sb.state !== 'live') sb.transition('live', 'snapshot', `venue snapshot at ${exchTsMs} ms`);
    sb.afterApply(n);
    return 'applied';
  }

  /** Forget the order watermark (new connection: the venue's clock starts a new stream). */
  reset(): void {
    this.lastExchTsMs = -1;
  }
}
