/**
 * Price-level (L2) order book for one (venue, symbol).
 *
 * Each side is a list of sorted blocks of Float64Arrays holding integer mantissas (exact below
 * 2^53). Keys ascend with the *best* level last (bids by price, asks by negated price), so top-N
 * reads walk back from the end and an insert/delete anywhere moves at most one block. Memory is
 * two doubles per level plus block slack (blocks are at least half full after a split; reported
 * by `bytesPerLevel`).
 *
 * Policies are explicit and observable:
 * - depth cap: windowed feeds (Kraken depth N, Bybit orderbook.N) keep only the best N levels
 *   per side after each message (`trimToCap`); diff feeds over the whole book never truncate
 *   (venues.md section 0 rule 6, cryptofeed issue #604).
 * - trust band: the price range in which the book is known to be complete. A REST snapshot
 *   limited to N levels only proves the levels it covers; windowed feeds prove their window.
 */
import { timesPow10 } from '../../../src-shared/model/decimal.ts';

/** Levels per block; a block splits in two when full. */
const BLOCK = 64;

/**
 * One side of the book as a list of sorted blocks (a one-level B+ tree). Keys ascend across and
 * within blocks, best level last. An insert or delete moves at most one block's tail, so a
 * change deep in a 5000-level Binance book costs the same as one at the top; a plain sorted
 * array would move thousands of levels.
 *
 * Finding a key's block reads one contiguous array of block maxima (`maxK`), not the blocks
 * themselves, and starts from the block the previous change landed in: venues list a message's
 * levels in price order, so consecutive changes usually fall in the same block.
 */
export class BookSide {
  /** +1 for bids, -1 for asks: key = sign * price. */
  readonly sign: 1 | -1;
  private blocksK: Float64Array[] = [];
  private blocksS: Float64Array[] = [];
  /** Levels held per block (first `nb` entries used). */
  private counts = new Int32Array(8);
  /** Largest key per block (first `nb` entries used). */
  private maxK = new Float64Array(8);
  private nb = 0;
  /** Block of the previous change. */
  private finger = 0;
  count = 0;
  /** Deletes for prices the book does not hold (normal on every venue, venues.md rule 3). */
  unknownDeletes = 0;

  constructor(sign: 1 | -1) {
    this.sign = sign;
  }

  /** Block holding `key` or where it belongs: the first block whose largest key >= key, else the last. */
  private blockFor(key: number): number {
    const maxK = this.maxK;
    const last = this.nb - 1;
    const f = this.finger;
    if (f < last && key <= maxK[f]! && (f === 0 || key > maxK[f - 1]!)) return f;
    // Most changes touch the top (last block).
    if (last === 0 || key > maxK[last - 1]!) return (this.finger = last);
    let lo = 0;
    let hi = last - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (maxK[mid]! < key) lo = mid + 1;
      else hi = mid;
    }
    return (this.finger = lo);
  }

  /** Set the absolute size at `price` (0 deletes). Returns true if the book changed. */
  set(price: number, size: number): boolean {
    const key = this.sign * price;
    if (this.nb === 0) {
      if (size === 0) {
        this.unknownDeletes++;
        return false;
      }
      const k = new Float64Array(BLOCK);
      const z = new Float64Array(BLOCK);
      k[0] = key;
      z[0] = size;
      this.blocksK = [k];
      this.blocksS = [z];
      this.counts[0] = 1;
      this.maxK[0] = key;
      this.nb = 1;
      this.finger = 0;
      this.count = 1;
      return true;
    }
    const b = this.blockFor(key);
    const keys = this.blocksK[b]!;
    const sizes = this.blocksS[b]!;
    const n = this.counts[b]!;
    // Binary search within the block.
    let lo = 0;
    let hi = n - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const k = keys[mid]!;
      if (k < key) lo = mid + 1;
      else if (k > key) hi = mid - 1;
      else {
        if (size === 0) {
          // Manual moves: for a block's few dozen doubles a loop beats copyWithin's call cost.
          for (let j = mid + 1; j < n; j++) {
            keys[j - 1] = keys[j]!;
            sizes[j - 1] = sizes[j]!;
          }
          this.count--;
          if (n === 1) this.removeBlock(b);
          else {
            this.counts[b] = n - 1;
            if (mid === n - 1) this.maxK[b] = keys[n - 2]!;
          }
          return true;
        }
        if (sizes[mid] === size) return false;
        sizes[mid] = size;
        return true;
      }
    }
    if (size === 0) {
      this.unknownDeletes++;
      return false;
    }
    if (n === BLOCK) {
      this.split(b);
      // Re-dispatch into the half that now holds the position (simple and rare: 1 in 32 inserts).
      return this.set(price, size);
    }
    for (let j = n; j > lo; j--) {
      keys[j] = keys[j - 1]!;
      sizes[j] = sizes[j - 1]!;
    }
    keys[lo] = key;
    sizes[lo] = size;
    this.counts[b] = n + 1;
    if (lo === n) this.maxK[b] = key;
    this.count++;
    return true;
  }

  private split(b: number): void {
    if (this.nb === this.counts.length) {
      const c = new Int32Array(this.nb * 2);
      c.set(this.counts);
      this.counts = c;
      const m = new Float64Array(this.nb * 2);
      m.set(this.maxK);
      this.maxK = m;
    }
    const keys = this.blocksK[b]!;
    const sizes = this.blocksS[b]!;
    const half = BLOCK >>> 1;
    const k2 = new Float64Array(BLOCK);
    const s2 = new Float64Array(BLOCK);
    k2.set(keys.subarray(half, BLOCK));
    s2.set(sizes.subarray(half, BLOCK));
    this.blocksK.splice(b + 1, 0, k2);
    this.blocksS.splice(b + 1, 0, s2);
    this.counts.copyWithin(b + 2, b + 1, this.nb);
    this.maxK.copyWithin(b + 2, b + 1, this.nb);
    this.counts[b + 1] = BLOCK - half;
    this.maxK[b + 1] = this.maxK[b]!;
    this.counts[b] = half;
    this.maxK[b] = keys[half - 1]!;
    this.nb++;
  }

  private removeBlock(b: number): void {
    if (this.nb === 1) {
      this.clear();
      return;
    }
    this.blocksK.splice(b, 1);
    this.blocksS.splice(b, 1);
    this.counts.copyWithin(b, b + 1, this.nb);
    this.maxK.copyWithin(b, b + 1, this.nb);
    this.nb--;
    this.finger = 0;
  }

  clear(): void {
    this.blocksK = [];
    this.blocksS = [];
    this.nb = 0;
    this.finger = 0;
    this.count = 0;
  }

  /** Size at a price, or 0. */
  sizeAt(price: number): number {
    if (this.count === 0) return 0;
    const key = this.sign * price;
    const b = this.blockFor(key);
    const keys = this.blocksK[b]!;
    const n = this.counts[b]!;
    let lo = 0;
    let hi = n - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const k = keys[mid]!;
      if (k < key) lo = mid + 1;
      else if (k > key) hi = mid - 1;
      else return this.blocksS[b]![mid]!;
    }
    return 0;
  }

  /** Best price or NaN when empty. */
  bestPrice(): number {
    const b = this.nb - 1;
    return b >= 0 ? this.sign * this.maxK[b]! : Number.NaN;
  }

  bestSize(): number {
    const b = this.nb - 1;
    return b >= 0 ? this.blocksS[b]![this.counts[b]! - 1]! : 0;
  }

  /** Price of the i-th best level (0 = best). Walks blocks from the top: cheap for small i. */
  priceAt(i: number): number {
    let b = this.nb - 1;
    while (b >= 0 && i >= this.counts[b]!) i -= this.counts[b--]!;
    return this.sign * this.blocksK[b]![this.counts[b]! - 1 - i]!;
  }

  sizeAtLevel(i: number): number {
    let b = this.nb - 1;
    while (b >= 0 && i >= this.counts[b]!) i -= this.counts[b--]!;
    return this.blocksS[b]![this.counts[b]! - 1 - i]!;
  }

  /** Visit the best `n` levels, best first, without per-level lookups. */
  forEachBest(n: number, fn: (price: number, size: number, i: number) => void): void {
    let i = 0;
    for (let b = this.nb - 1; b >= 0 && i < n; b--) {
      const keys = this.blocksK[b]!;
      const sizes = this.blocksS[b]!;
      for (let j = this.counts[b]! - 1; j >= 0 && i < n; j--, i++) fn(this.sign * keys[j]!, sizes[j]!, i);
    }
  }

  /** Copy the best `n` levels (best first) into `prices` and `sizes`; returns how many. */
  copyBest(n: number, prices: Float64Array, sizes: Float64Array): number {
    let i = 0;
    const sign = this.sign;
    for (let b = this.nb - 1; b >= 0 && i < n; b--) {
      const keys = this.blocksK[b]!;
      const sz = this.blocksS[b]!;
      for (let j = this.counts[b]! - 1; j >= 0 && i < n; j--, i++) {
        prices[i] = sign * keys[j]!;
        sizes[i] = sz[j]!;
      }
    }
    return i;
  }

  /** Price of the worst level held, NaN when empty. */
  worstPrice(): number {
    return this.count > 0 ? this.sign * this.blocksK[0]![0]! : Number.NaN;
  }

  /** Keep only the best `cap` levels. Returns how many were removed. */
  trimToCap(cap: number): number {
    let excess = this.count - cap;
    if (excess <= 0) return 0;
    const removed = excess;
    let drop = 0;
    while (excess > 0) {
      const n = this.counts[drop]!;
      if (n <= excess) {
        excess -= n;
        this.count -= n;
        drop++;
      } else {
        this.blocksK[drop]!.copyWithin(0, excess, n);
        this.blocksS[drop]!.copyWithin(0, excess, n);
        this.counts[drop] = n - excess;
        this.count -= excess;
        excess = 0;
      }
    }
    if (drop > 0) {
      if (drop === this.nb) this.clear();
      else {
        this.blocksK.splice(0, drop);
        this.blocksS.splice(0, drop);
        this.counts.copyWithin(0, drop, this.nb);
        this.maxK.copyWithin(0, drop, this.nb);
        this.nb -= drop;
        this.finger = 0;
      }
    }
    return removed;
  }

  /**
   * Multiply every price by 10^pk and every size by 10^sk. Returns false if a result is not an
   * integer a double holds exactly (the side is then unusable and the caller resyncs).
   */
  scale(pk: number, sk: number): boolean {
    let ok = true;
    for (let b = 0; b < this.nb; b++) {
      const keys = this.blocksK[b]!;
      const sizes = this.blocksS[b]!;
      const n = this.counts[b]!;
      for (let i = 0; i < n; i++) {
        const k = pk === 0 ? keys[i]! : timesPow10(keys[i]!, pk);
        const z = sk === 0 ? sizes[i]! : timesPow10(sizes[i]!, sk);
        if (Number.isNaN(k) || Number.isNaN(z)) ok = false;
        keys[i] = k;
        sizes[i] = z;
      }
      this.maxK[b] = keys[n - 1]!;
    }
    return ok;
  }

  /** Levels of storage allocated (blocks x block size). */
  capacity(): number {
    return this.nb * BLOCK;
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
   * book stays exact. Returns false if a value would no longer be an exact double integer.
   */
  widen(priceScale: number, sizeScale: number): boolean {
    const pk = Math.max(0, priceScale - this.priceScale);
    const sk = Math.max(0, sizeScale - this.sizeScale);
    if (pk === 0 && sk === 0) return true;
    const okBids = this.bids.scale(pk, sk);
    const okAsks = this.asks.scale(pk, sk);
    if (!Number.isNaN(this.snapBidFloor)) this.snapBidFloor = timesPow10(this.snapBidFloor, pk);
    if (!Number.isNaN(this.snapAskCeiling)) this.snapAskCeiling = timesPow10(this.snapAskCeiling, pk);
    this.priceScale += pk;
    this.sizeScale += sk;
    return okBids && okAsks;
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
  side.forEachBest(n, (p, s) => out.push([p, s]));
  return out;
}
