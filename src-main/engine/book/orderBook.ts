/**
 * Price-level (L2) order book for one (venue, symbol).
 *
 * Each side is a sorted pair of Float64Arrays holding integer mantissas (exact below 2^53). Keys
 * are stored ascending with the *best* level last (bids by price, asks by negated price), so the
 * common case -- updates near the top of the book -- moves only the few levels above the change,
 * and top-N reads walk back from the end. Memory is two doubles per level plus slack that grows
 * geometrically (reported by `bytesPerLevel`).
 *
 * Policies are explicit and observable:
 * - depth cap: windowed feeds (Kraken depth N, Bybit orderbook.N) keep only the best N levels
 *   per side after each message (`trimToCap`); diff feeds over the whole book never truncate
 *   (venues.md section 0 rule 6, cryptofeed issue #604).
 * - trust band: the price range in which the book is known to be complete. A REST snapshot
 *   limited to N levels only proves the levels it covers; windowed feeds prove their window.
 */
import { pow10 } from '../../../src-shared/model/decimal.ts';

const INITIAL_CAPACITY = 64;

export class BookSide {
  /** +1 for bids, -1 for asks: key = sign * price. */
  readonly sign: 1 | -1;
  keys: Float64Array;
  sizes: Float64Array;
  count = 0;
  /** Deletes for prices the book does not hold (normal on every venue, venues.md rule 3). */
  unknownDeletes = 0;

  constructor(sign: 1 | -1, capacity = INITIAL_CAPACITY) {
    this.sign = sign;
    this.keys = new Float64Array(capacity);
    this.sizes = new Float64Array(capacity);
  }

  /** Index of `key` if present, else -(insertionPoint + 1). Searches from the top (end). */
  private find(key: number): number {
    const keys = this.keys;
    let hi = this.count - 1;
    // Fast path: most updates touch the top few levels.
    if (hi >= 0 && keys[hi]! < key) return -(hi + 2);
    let lo = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const k = keys[mid]!;
      if (k < key) lo = mid + 1;
      else if (k > key) hi = mid - 1;
      else return mid;
    }
    return -(lo + 1);
  }

  /** Set the absolute size at `price` (0 deletes). Returns true if the book changed. */
  set(price: number, size: number): boolean {
    const key = this.sign * price;
    const idx = this.find(key);
    if (idx >= 0) {
      if (size === 0) {
        const n = this.count;
        if (idx < n - 1) {
          this.keys.copyWithin(idx, idx + 1, n);
          this.sizes.copyWithin(idx, idx + 1, n);
        }
        this.count = n - 1;
        return true;
      }
      if (this.sizes[idx] === size) return false;
      this.sizes[idx] = size;
      return true;
    }
    if (size === 0) {
      this.unknownDeletes++;
      return false;
    }
    const at = -idx - 1;
    const n = this.count;
    if (n === this.keys.length) this.grow();
    if (at < n) {
      this.keys.copyWithin(at + 1, at, n);
      this.sizes.copyWithin(at + 1, at, n);
    }
    this.keys[at] = key;
    this.sizes[at] = size;
    this.count = n + 1;
    return true;
  }

  private grow(): void {
    const cap = this.keys.length * 2;
    const k = new Float64Array(cap);
    const s = new Float64Array(cap);
    k.set(this.keys.subarray(0, this.count));
    s.set(this.sizes.subarray(0, this.count));
    this.keys = k;
    this.sizes = s;
  }

  clear(): void {
    this.count = 0;
  }

  /** Size at a price, or 0. */
  sizeAt(price: number): number {
    const idx = this.find(this.sign * price);
    return idx >= 0 ? this.sizes[idx]! : 0;
  }

  /** Best price or NaN when empty. */
  bestPrice(): number {
    return this.count > 0 ? this.sign * this.keys[this.count - 1]! : Number.NaN;
  }

  bestSize(): number {
    return this.count > 0 ? this.sizes[this.count - 1]! : 0;
  }

  /** Price of the i-th best level (0 = best). */
  priceAt(i: number): number {
    return this.sign * this.keys[this.count - 1 - i]!;
  }

  sizeAtLevel(i: number): number {
    return this.sizes[this.count - 1 - i]!;
  }

  /** Price of the worst level held, NaN when empty. */
  worstPrice(): number {
    return this.count > 0 ? this.sign * this.keys[0]! : Number.NaN;
  }

  /** Keep only the best `cap` levels. Returns how many were removed. */
  trimToCap(cap: number): number {
    const excess = this.count - cap;
    if (excess <= 0) return 0;
    this.keys.copyWithin(0, excess, this.count);
    this.sizes.copyWithin(0, excess, this.count);
    this.count = cap;
    return excess;
  }

  /** Multiply every price (priceFactor) and size (sizeFactor) by a power of ten. */
  scale(priceFactor: number, sizeFactor: number): void {
    for (let i = 0; i < this.count; i++) {
      this.keys[i] = this.keys[i]! * priceFactor;
      this.sizes[i] = this.sizes[i]! * sizeFactor;
    }
  }

  /** True if any price or size no longer fits exactly after a scale. */
  unsafe(): boolean {
    for (let i = 0; i < this.count; i++) {
      if (Math.abs(this.keys[i]!) > Number.MAX_SAFE_INTEGER || this.sizes[i]! > Number.MAX_SAFE_INTEGER) return true;
    }
    return false;
  }

  capacity(): number {
    return this.keys.length;
  }
}

/** How the complete range of the book is known. */
export type TrustMode =
  /** The snapshot was the whole book (Coinbase, OKX 400 full channel window, Deribit raw...). */
  | 'full'
  /** A depth-limited snapshot: complete between the best price and the snapshot's worst price. */
  | 'snapshot'
  /** A fixed window maintained by the venue (Kraken depth N, Bybit orderbook.N): the levels held. */
  | 'window';

export interface TrustBand {
  mode: TrustMode;
  /** Lowest bid price known to be complete (mantissa), NaN when the whole side is known. */
  bidFloor: number;
  /** Highest ask price known to be complete, NaN when the whole side is known. */
  askCeiling: number;
}

export class OrderBook {
  readonly bids = new BookSide(1);
  readonly asks = new BookSide(-1);
  priceScale: number;
  sizeScale: number;
  /** Best N levels per side kept after each message; 0 = no cap. */
  depthCap = 0;
  trustMode: TrustMode = 'full';
  private snapBidFloor = Number.NaN;
  private snapAskCeiling = Number.NaN;

  constructor(priceScale: number, sizeScale: number) {
    this.priceScale = priceScale;
    this.sizeScale = sizeScale;
  }

  side(isBid: boolean): BookSide {
    return isBid ? this.bids : this.asks;
  }

  clear(): void {
    this.bids.clear();
    this.asks.clear();
  }

  /**
   * Record the trust band after loading a snapshot. `limit` is the depth the snapshot was asked
   * for (0 = unlimited): a side with fewer levels than the limit is complete.
   */
  markSnapshot(mode: TrustMode, limit = 0): void {
    this.trustMode = mode;
    if (mode === 'snapshot') {
      this.snapBidFloor = limit > 0 && this.bids.count < limit ? Number.NaN : this.bids.worstPrice();
      this.snapAskCeiling = limit > 0 && this.asks.count < limit ? Number.NaN : this.asks.worstPrice();
    } else {
      this.snapBidFloor = Number.NaN;
      this.snapAskCeiling = Number.NaN;
    }
  }

  trustBand(): TrustBand {
    if (this.trustMode === 'window') {
      return { mode: 'window', bidFloor: this.bids.worstPrice(), askCeiling: this.asks.worstPrice() };
    }
    return { mode: this.trustMode, bidFloor: this.snapBidFloor, askCeiling: this.snapAskCeiling };
  }

  /** Apply the depth cap after a complete message. Returns levels removed. */
  enforceCap(): number {
    if (this.depthCap <= 0) return 0;
    return this.bids.trimToCap(this.depthCap) + this.asks.trimToCap(this.depthCap);
  }

  /** best bid >= best ask (both sides present). */
  isCrossed(): boolean {
    return this.bids.count > 0 && this.asks.count > 0 && this.bids.bestPrice() >= this.asks.bestPrice();
  }

  levelCount(): number {
    return this.bids.count + this.asks.count;
  }

  /**
   * Widen the price and/or size scale (a venue that trims trailing zeros can show a finer
   * decimal after the first snapshot). Every mantissa is multiplied by a power of ten, so the
   * book stays exact. Returns false if a value would no longer fit in 2^53.
   */
  widen(priceScale: number, sizeScale: number): boolean {
    const pf = priceScale > this.priceScale ? pow10(priceScale - this.priceScale) : 1;
    const sf = sizeScale > this.sizeScale ? pow10(sizeScale - this.sizeScale) : 1;
    if (pf === 1 && sf === 1) return true;
    this.bids.scale(pf, sf);
    this.asks.scale(pf, sf);
    if (!Number.isNaN(this.snapBidFloor)) this.snapBidFloor *= pf;
    if (!Number.isNaN(this.snapAskCeiling)) this.snapAskCeiling *= pf;
    this.priceScale = Math.max(priceScale, this.priceScale);
    this.sizeScale = Math.max(sizeScale, this.sizeScale);
    return !this.bids.unsafe() && !this.asks.unsafe();
  }

  /** Top N levels per side as [price, size] mantissa pairs, best first. */
  top(n: number): { bids: [number, number][]; asks: [number, number][] } {
    return { bids: topOf(this.bids, n), asks: topOf(this.asks, n) };
  }

  /** Approximate bytes held per level (typed-array capacity incl. slack / levels). */
  bytesPerLevel(): number {
    const levels = this.levelCount();
    if (levels === 0) return 0;
    return ((this.bids.capacity() + this.asks.capacity()) * 16) / levels;
  }
}

function topOf(side: BookSide, n: number): [number, number][] {
  const out: [number, number][] = [];
  const k = Math.min(n, side.count);
  for (let i = 0; i < k; i++) out.push([side.priceAt(i), side.sizeAtLevel(i)]);
  return out;
}
