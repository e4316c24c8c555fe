/**
 * Kraken spot book checksum (WebSocket v1 and v2 use the same algorithm).
 *
 * Docs: https://docs.kraken.com/api/docs/guides/spot-ws-book-v1 ("Book checksum"),
 * https://docs.kraken.com/api/docs/guides/spot-ws-book-v2, venues.md section 9.
 *
 * The rule, over the top 10 levels whatever depth was subscribed:
 *   1. asks, best (lowest) first: price text with '.' removed and leading zeros stripped, then
 *      the volume text formatted the same way;
 *   2. then bids, best (highest) first, the same way;
 *   3. CRC-32 of that ASCII text, compared as an unsigned 32-bit integer.
 * Trailing zeros matter: the text is the price/volume at the pair's fixed decimals
 * ("0.00000500" -> "500", "58729.40000" -> "5872940000"). v1 sends every value with those fixed
 * decimals, so the session learns them from the snapshot strings; v2 takes them from the
 * `instrument` channel (price_precision / qty_precision), krakenV2Session.ts.
 */
import { CRC32_INIT, crc32Final, crc32Update, CrcSegments, writeUInt } from '../../../../src-shared/model/crc32.ts';
import { formatWithDecimals } from '../../../../src-shared/model/decimal.ts';
import type { LevelText } from '../../../../src-shared/model/market.ts';
import type { BookSide, OrderBook } from '../../book/orderBook.ts';

/** Levels per side the checksum covers. */
export const KRAKEN_CHECKSUM_DEPTH = 10;

/** Fixed number of fractional digits Kraken renders prices and volumes of one pair with. */
export interface WireDecimals {
  price: number;
  size: number;
}

/** "0.05005" -> "5005", "58729.40000" -> "5872940000": '.' removed, leading zeros stripped. */
export function krakenChecksumField(text: string): string {
  const digits = text.replace('.', '');
  let i = 0;
  while (i < digits.length && digits.charCodeAt(i) === 48) i++;
  return digits.slice(i);
}

/**
 * A value at the pair's wire decimals with '.' removed and leading zeros stripped is just the
 * integer mantissa * 10^(decimals - scale): its digits are written at `TEXT[at]` (hot path, every
 * message); returns the index after them. Falls back to the text path when that integer is not a
 * safe integer or would need rounding; -1 when the text does not fit.
 */
function field(at: number, mantissa: number, scale: number, decimals: number): number {
  const n = decimals >= scale ? mantissa * POW10[decimals - scale]! : mantissa / POW10[scale - decimals]!;
  if (n > 0 && Number.isSafeInteger(n)) return writeUInt(TEXT, at, n);
  const text = krakenChecksumField(formatWithDecimals(mantissa, scale, decimals));
  if (at + text.length > TEXT.length) return -1;
  for (let i = 0; i < text.length; i++) TEXT[at + i] = text.charCodeAt(i);
  return at + text.length;
}

/** State `c` followed by the level's price and volume fields, kept at position `k` (levels are 1 slot apart). */
function level(t: CrcSegments, c: number, k: number, price: number, size: number, book: OrderBook, dec: WireDecimals): number {
  if (t.reuse(k, price, size, 1)) return t.append(c, k);
  const end = field(0, price, book.priceScale, dec.price);
  const len = end < 0 ? -1 : field(end, size, book.sizeScale, dec.size);
  if (len < 0) {
    t.drop(k);
    return crc32Update(crc32Update(c, krakenChecksumField(formatWithDecimals(price, book.priceScale, dec.price))), krakenChecksumField(formatWithDecimals(size, book.sizeScale, dec.size)));
  }
  return t.put(c, k, price, size, TEXT, len);
}

/**
 * First level (of KRAKEN_CHECKSUM_DEPTH when none) where this side's `n` levels differ from the
 * `last` ones of the last checksum, kept at slots `base + i`.
 */
function firstChange(t: CrcSegments, n: number, last: number, prices: Float64Array, sizes: Float64Array, base: number): number {
  const common = Math.min(n, last);
  for (let i = 0; i < common; i++) if (!t.has(base + i, prices[i]!, sizes[i]!)) return i;
  return n === last ? KRAKEN_CHECKSUM_DEPTH : common;
}

/**
 * Unsigned checksum of a local book, as Kraken would send it for this state (asks then bids,
 * best first). Hot path (every message): the state after each level of the last checksum is
 * kept, so hashing resumes at the first level that differs (the last result when none does);
 * each level's text (price then volume fields) is appended from the book's CrcSegments when
 * the last checksum saw that price and volume at that level or one level away (a level inserted
 * or removed above), else written and kept.
 */
export function krakenBookChecksum(book: OrderBook, dec: WireDecimals): number {
  let seg = SEGMENTS.get(book);
  if (seg === undefined || seg.ps !== book.priceScale || seg.ss !== book.sizeScale || seg.pd !== dec.price || seg.sd !== dec.size) {
    seg = { ps: book.priceScale, ss: book.sizeScale, pd: dec.price, sd: dec.size, na: 0, nb: 0, after: new Int32Array(2 * KRAKEN_CHECKSUM_DEPTH + 1).fill(CRC32_INIT), texts: new CrcSegments(2 * KRAKEN_CHECKSUM_DEPTH) };
    SEGMENTS.set(book, seg);
  }
  const t = seg.texts;
  const D = KRAKEN_CHECKSUM_DEPTH;
  const na = book.asks.copyBest(D, ASK_P, ASK_S);
  const nb = book.bids.copyBest(D, BID_P, BID_S);
  // Levels 0..D-1 are the asks, D..2D-1 the bids; one slot per level in the same order.
  const askFrom = firstChange(t, na, seg.na, ASK_P, ASK_S, 0);
  const from = askFrom < D ? askFrom : D + firstChange(t, nb, seg.nb, BID_P, BID_S, D);
  const after = seg.after;
  if (from < 2 * D) {
    t.begin();
    let c = after[from]!;
    for (let j = from; j < 2 * D; j++) {
      const ask = j < D;
      const i = ask ? j : j - D;
      if (i < (ask ? na : nb)) c = level(t, c, j, (ask ? ASK_P : BID_P)[i]!, (ask ? ASK_S : BID_S)[i]!, book, dec);
      after[j + 1] = c;
    }
    seg.na = na;
    seg.nb = nb;
  }
  return crc32Final(after[2 * D]!);
}

/**
 * Per book, the last checksum's fields, level counts and the state after each level (for the
 * book's scales and wire decimals).
 */
const SEGMENTS = new WeakMap<OrderBook, { ps: number; ss: number; pd: number; sd: number; na: number; nb: number; after: Int32Array; texts: CrcSegments }>();

/** One level's fields: price digits then volume digits. */
const TEXT = new Uint8Array(128);
const ASK_P = new Float64Array(KRAKEN_CHECKSUM_DEPTH);
const ASK_S = new Float64Array(KRAKEN_CHECKSUM_DEPTH);
const BID_P = new Float64Array(KRAKEN_CHECKSUM_DEPTH);
const BID_S = new Float64Array(KRAKEN_CHECKSUM_DEPTH);

const POW10: number[] = [];
for (let i = 0, v = 1; i <= 22; i++, v *= 10) POW10.push(v);

/** The text the checksum hashes for a local book (diagnostics for a mismatch). */
export function krakenBookChecksumText(book: OrderBook, dec: WireDecimals): string {
  const part = (side: BookSide): string => {
    let s = '';
    for (let i = 0; i < Math.min(side.count, KRAKEN_CHECKSUM_DEPTH); i++) {
      s += krakenChecksumField(formatWithDecimals(side.priceAt(i), book.priceScale, dec.price));
      s += krakenChecksumField(formatWithDecimals(side.sizeAtLevel(i), book.sizeScale, dec.size));
    }
    return s;
  };
  return part(book.asks) + part(book.bids);
}

/** Unsigned checksum of levels given as Kraken's strings, best first on each side. */
export function krakenLevelsChecksum(asks: readonly LevelText[], bids: readonly LevelText[]): number {
  let c = CRC32_INIT;
  for (const side of [asks, bids]) {
    for (const lv of side.slice(0, KRAKEN_CHECKSUM_DEPTH)) {
      c = crc32Update(c, krakenChecksumField(lv.price));
      c = crc32Update(c, krakenChecksumField(lv.size));
    }
  }
  return crc32Final(c);
}
