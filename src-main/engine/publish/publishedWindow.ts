/**
 * The publisher's shadow copy of what it has published for one instrument: the top-N levels per
 * side, best first, as mantissas in preallocated arrays. It is the "published book" of design
 * 2.7: receivers must converge to exactly this, and its checksum is the one on the wire.
 */
import type { BookSide } from '../book/orderBook.ts';
import type { LevelView } from '../../../src-shared/wire/bookChecksum.ts';

export class WindowSide implements LevelView {
  /** +1 bids (higher is better), -1 asks. */
  readonly sign: 1 | -1;
  readonly prices: Float64Array;
  readonly sizes: Float64Array;
  count = 0;

  constructor(sign: 1 | -1, depth: number) {
    this.sign = sign;
    this.prices = new Float64Array(depth);
    this.sizes = new Float64Array(depth);
  }

  priceAt(i: number): number {
    return this.prices[i]!;
  }

  sizeAtLevel(i: number): number {
    return this.sizes[i]!;
  }

  /**
   * Load the best `depth` levels of a book side, stopping at `limit` (the trust band edge:
   * levels beyond it are not proven complete, so they are not published). NaN = no limit.
   */
  loadFrom(side: BookSide, limit: number): void {
    const n = Math.min(side.count, this.prices.length);
    const s = this.sign;
    const bounded = !Number.isNaN(limit);
    let k = 0;
    for (let i = 0; i < n; i++) {
      const p = side.priceAt(i);
      if (bounded && s * p < s * limit) break;
      this.prices[k] = p;
      this.sizes[k] = side.sizeAtLevel(i);
      k++;
    }
    this.count = k;
  }

  toPairs(): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i < this.count; i++) out.push([this.prices[i]!, this.sizes[i]!]);
    return out;
  }
}

export class PublishedWindow {
  bids: WindowSide;
  asks: WindowSide;

  constructor(depth: number) {
    this.bids = new WindowSide(1, depth);
    this.asks = new WindowSide(-1, depth);
  }

  clear(): void {
    this.bids.count = 0;
    this.asks.count = 0;
  }

  /** Exchange contents with another window of the same depth (no copying, no allocation). */
  swap(other: PublishedWindow): void {
    const b = this.bids;
    const a = this.asks;
    this.bids = other.bids;
    this.asks = other.asks;
    other.bids = b;
    other.asks = a;
  }
}

/**
 * Collects the entries of one diff, deletes and sets kept apart so deletes can be sent first
 * (design 2.7). Preallocated for the worst case: every old level deleted and every new one set.
 */
export class DiffBuffer {
  readonly delPrice: Float64Array;
  readonly delSide: Uint8Array;
  readonly setPrice: Float64Array;
  readonly setSize: Float64Array;
  readonly setSide: Uint8Array;
  deletes = 0;
  sets = 0;

  constructor(depth: number) {
    this.delPrice = new Float64Array(2 * depth);
    this.delSide = new Uint8Array(2 * depth);
    this.setPrice = new Float64Array(2 * depth);
    this.setSize = new Float64Array(2 * depth);
    this.setSide = new Uint8Array(2 * depth);
  }

  reset(): void {
    this.deletes = 0;
    this.sets = 0;
  }

  get total(): number {
    return this.deletes + this.sets;
  }

  /**
   * Merge-walk two best-first sides: prices only in `prev` are deleted, prices new or with a
   * changed size in `next` are set. O(depth), no allocation.
   */
  diffSide(prev: WindowSide, next: WindowSide, sideCode: number): void {
    const s = prev.sign;
    let i = 0;
    let j = 0;
    while (i < prev.count || j < next.count) {
      if (j >= next.count || (i < prev.count && s * prev.prices[i]! > s * next.prices[j]!)) {
        // prev[i] is better than everything left in next: it left the window.
        this.delPrice[this.deletes] = prev.prices[i]!;
        this.delSide[this.deletes++] = sideCode;
        i++;
      } else if (i >= prev.count || s * next.prices[j]! > s * prev.prices[i]!) {
        this.setPrice[this.sets] = next.prices[j]!;
        this.setSize[this.sets] = next.sizes[j]!;
        this.setSide[this.sets++] = sideCode;
        j++;
      } else {
        if (prev.sizes[i] !== next.sizes[j]) {
          this.setPrice[this.sets] = next.prices[j]!;
          this.setSize[this.sets] = next.sizes[j]!;
          this.setSide[this.sets++] = sideCode;
        }
        i++;
        j++;
      }
    }
  }
}
