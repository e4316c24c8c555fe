/**
 * Best bid/ask after each recently applied diff, keyed by the diff's final id `u`, for the
 * bookTicker cross-check (venues.md: a bookTicker whose `u` equals a diff's `u` shows the top of
 * book right after that diff).
 *
 * Recorded after every diff, looked up only when a ticker arrives: a fixed ring of numbers, so
 * recording allocates nothing. Ids grow along the stream, so a lookup walks back from the newest.
 */
import type { OrderBook } from '../../book/orderBook.ts';

export interface TopAfter {
  bidPrice: number;
  bidSize: number;
  askPrice: number;
  askSize: number;
  priceScale: number;
  sizeScale: number;
}

export class TopRing {
  private readonly ids: Float64Array;
  /** bidPrice, bidSize, askPrice, askSize, priceScale, sizeScale per entry. */
  private readonly vals: Float64Array;
  private readonly capacity: number;
  private next = 0;
  private size = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.ids = new Float64Array(capacity);
    this.vals = new Float64Array(capacity * 6);
  }

  /** Remember the top of `book` after the diff whose final id is `u`. */
  record(u: number, book: OrderBook): void {
    const i = this.next;
    this.ids[i] = u;
    const o = i * 6;
    const v = this.vals;
    v[o] = book.bids.bestPrice();
    v[o + 1] = book.bids.bestSize();
    v[o + 2] = book.asks.bestPrice();
    v[o + 3] = book.asks.bestSize();
    v[o + 4] = book.priceScale;
    v[o + 5] = book.sizeScale;
    this.next = i + 1 === this.capacity ? 0 : i + 1;
    if (this.size < this.capacity) this.size++;
  }

  /** The top recorded after diff `u`, if still kept. */
  get(u: number): TopAfter | undefined {
    for (let n = 0, i = this.next; n < this.size; n++) {
      i = i === 0 ? this.capacity - 1 : i - 1;
      if (this.ids[i] === u) {
        const o = i * 6;
        const v = this.vals;
        return { bidPrice: v[o]!, bidSize: v[o + 1]!, askPrice: v[o + 2]!, askSize: v[o + 3]!, priceScale: v[o + 4]!, sizeScale: v[o + 5]! };
      }
      if (this.ids[i]! < u) return undefined;
    }
    return undefined;
  }

  clear(): void {
    this.next = 0;
    this.size = 0;
  }
}
