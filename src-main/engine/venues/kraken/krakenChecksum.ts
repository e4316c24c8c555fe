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
 * integer mantissa * 10^(decimals - scale): hash its digits directly (hot path, every message).
 * Falls back to the text path when that integer is not a safe integer or would need rounding.
 */
function field(mantissa: number, scale: number, decimals: number): number {
  const n = decimals >= scale ? mantissa * POW10[decimals - scale]! : mantissa / POW10[scale - decimals]!;
  if (n > 0 && Number.isSafeInteger(n)) return writeUInt(TEXT, 0, n);
  const text = krakenChecksumField(formatWithDecimals(mantissa, scale, decimals));
  if (text.length > TEXT.length) return -1;
  for (let i = 0; i < text.length; i++) TEXT[i] = text.charCodeAt(i);
  return text.length;
}

/** State `c` followed by the field of `v`, kept at position `k`. */
function put(t: CrcSegments, c: number, k: number, v: number, scale: number, decimals: number): number {
  if (t.has(k, v)) return t.append(c, k);
  const len = field(v, scale, decimals);
  if (len < 0) return crc32Update(c, krakenChecksumField(formatWithDecimals(v, scale, decimals)));
  return t.put(c, k, v, TEXT, len);
}

function sideText(side: BookSide, book: OrderBook, dec: WireDecimals, t: CrcSegments, base: number, crc: number): number {
  const n = side.copyBest(KRAKEN_CHECKSUM_DEPTH, PRICES, SIZES);
  let c = crc;
  for (let i = 0; i < n; i++) {
    c = put(t, c, base + 2 * i, PRICES[i]!, book.priceScale, dec.price);
    c = put(t, c, base + 2 * i + 1, SIZES[i]!, book.sizeScale, dec.size);
  }
  return c;
}

/**
 * Unsigned checksum of a local book, as Kraken would send it for this state (asks then bids,
 * best first). Hot path (every message): each field's text is appended from the book's
 * CrcSegments when it is the value seen at that position last time, else written and kept.
 */
export function krakenBookChecksum(book: OrderBook, dec: WireDecimals): number {
  let seg = SEGMENTS.get(book);
  if (seg === undefined || seg.ps !== book.priceScale || seg.ss !== book.sizeScale || seg.pd !== dec.price || seg.sd !== dec.size) {
    seg = { ps: book.priceScale, ss: book.sizeScale, pd: dec.price, sd: dec.size, texts: new CrcSegments(4 * KRAKEN_CHECKSUM_DEPTH) };
    SEGMENTS.set(book, seg);
  }
  const t = seg.texts;
  return crc32Final(sideText(book.bids, book, dec, t, 2 * KRAKEN_CHECKSUM_DEPTH, sideText(book.asks, book, dec, t, 0, CRC32_INIT)));
}

/** Per book, the fields of the last checksum (for the book's scales and wire decimals). */
const SEGMENTS = new WeakMap<OrderBook, { ps: number; ss: number; pd: number; sd: number; texts: CrcSegments }>();

/** One field's digits. */
const TEXT = new Uint8Array(64);
const PRICES = new Float64Array(KRAKEN_CHECKSUM_DEPTH);
const SIZES = new Float64Array(KRAKEN_CHECKSUM_DEPTH);

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
