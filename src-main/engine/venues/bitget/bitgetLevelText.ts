/**
 * The exchange's original text of every price and size in a Bitget book, kept without storing
 * strings.
 *
 * Bitget's checksum hashes "the original price/size strings" (venues.md section 13; ccxt keeps
 * the raw string pair per level for this reason). Those strings carry trailing zeros
 * ("113.50", "0.00003530", "0.0500"), so rendering the exact mantissa without them would not
 * reproduce the text. A string is fully determined by its exact value plus its number of
 * fractional digits, so this class learns that count per book (the first level of a snapshot)
 * and remembers only the levels whose text deviates from it, keyed by price. On the v1
 * recording every instrument uses one count throughout (no exceptions stored); the checksum
 * example of Bitget's documentation ("43231.1" beside "43231") needs the exceptions.
 */
import { formatWithDecimals, pow10 } from '../../../../src-shared/model/decimal.ts';
import type { OrderBook } from '../../book/orderBook.ts';

/** Digits after the decimal point of a plain decimal string ("0.0500" -> 4, "145214" -> 0). */
export function fractionDigits(text: string): number {
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}

/** Per side: price mantissa -> fraction digits, only where they differ from the learned count. */
type Exceptions = [bids: Map<number, number>, asks: Map<number, number>];

export class BitgetLevelText {
  /** Fraction digits of most price strings, -1 until the first level. */
  priceDigits = -1;
  /** Fraction digits of most non-zero size strings, -1 until the first one. */
  sizeDigits = -1;
  private readonly priceEx: Exceptions = [new Map(), new Map()];
  private readonly sizeEx: Exceptions = [new Map(), new Map()];
  /** Price scale the exception keys are written at. */
  private keyScale = 0;

  /** Forget everything (a snapshot replaces the book). */
  reset(priceScale: number): void {
    this.priceDigits = -1;
    this.sizeDigits = -1;
    for (const m of [...this.priceEx, ...this.sizeEx]) m.clear();
    this.keyScale = priceScale;
  }

  /** Number of levels whose text deviates from the learned digits (diagnostics). */
  exceptions(): number {
    return this.priceEx[0].size + this.priceEx[1].size + this.sizeEx[0].size + this.sizeEx[1].size;
  }

  /** Re-key after the book widened its price scale (mantissas were multiplied by 10^k). */
  private follow(priceScale: number): void {
    if (priceScale === this.keyScale) return;
    const f = pow10(priceScale - this.keyScale);
    for (const list of [this.priceEx, this.sizeEx]) {
      for (let s = 0; s < 2; s++) {
        const old = list[s]!;
        const next = new Map<number, number>();
        for (const [k, v] of old) next.set(k * f, v);
        list[s] = next;
      }
    }
    this.keyScale = priceScale;
  }

  /**
   * A level was set in the book from these strings (`price` = its mantissa at the book's current
   * price scale). A zero size deleted the level.
   */
  record(isBid: boolean, price: number, priceScale: number, priceText: string, sizeText: string, deleted: boolean): void {
    this.follow(priceScale);
    const s = isBid ? 0 : 1;
    if (deleted) {
      this.priceEx[s].delete(price);
      this.sizeEx[s].delete(price);
      return;
    }
    const pd = fractionDigits(priceText);
    if (this.priceDigits < 0) this.priceDigits = pd;
    if (pd === this.priceDigits) this.priceEx[s].delete(price);
    else this.priceEx[s].set(price, pd);
    const sd = fractionDigits(sizeText);
    if (this.sizeDigits < 0) this.sizeDigits = sd;
    if (sd === this.sizeDigits) this.sizeEx[s].delete(price);
    else this.sizeEx[s].set(price, sd);
  }

  /** The original price text of the i-th best level of one side. */
  priceText(book: OrderBook, isBid: boolean, i: number): string {
    this.follow(book.priceScale);
    const side = isBid ? book.bids : book.asks;
    const p = side.priceAt(i);
    const digits = this.priceEx[isBid ? 0 : 1].get(p) ?? Math.max(0, this.priceDigits);
    return formatWithDecimals(p, book.priceScale, digits);
  }

  /** The original size text of the i-th best level of one side. */
  sizeText(book: OrderBook, isBid: boolean, i: number): string {
    this.follow(book.priceScale);
    const side = isBid ? book.bids : book.asks;
    const digits = this.sizeEx[isBid ? 0 : 1].get(side.priceAt(i)) ?? Math.max(0, this.sizeDigits);
    return formatWithDecimals(side.sizeAtLevel(i), book.sizeScale, digits);
  }
}
