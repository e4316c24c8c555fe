/**
 * OKX order-book checksum (v5 `books`, `books-l2-tbt`, `books50-l2-tbt`).
 *
 * Docs: https://www.okx.com/docs-v5/en/#order-book-trading-market-data-ws-order-book-channel
 * ("Checksum" section of the copies before June 2026), venues.md section 6.
 *
 * The rule: after applying a message, take the top 25 bids and top 25 asks and build
 * `bid1Px:bid1Sz:ask1Px:ask1Sz:bid2Px:bid2Sz:...`; when one side has fewer than 25 levels the
 * other side continues alone (doc examples "3366.1:7:3366.8:9:3366:6:3368:8" and
 * "3366.1:7:3366.8:9:3368:8:3372:8"). CRC-32 of that text, compared as a *signed* 32-bit integer.
 * The strings must be the exchange's originals. OKX sends decimals without trailing zeros and
 * without exponents, so rendering the exact mantissa with `formatScaled` gives back the original
 * text: tests/replay/okxVerify.test.ts checks that claim over every level of the recordings.
 *
 * Since 2026-06-23 OKX sends `checksum: 0` on every book message (notice "Order Book Channels
 * Checksum Field Deprecation", 2026-05-21; ccxt PR #30299): 0 or a missing field means "not
 * provided", never a failure.
 */
import { CRC32_INIT, crc32Final, crc32Unbyte, crc32Update, CrcSegments, toSigned32, writeScaled } from '../../../../src-shared/model/crc32.ts';
import { formatScaled } from '../../../../src-shared/model/decimal.ts';
import type { LevelText } from '../../../../src-shared/model/market.ts';
import type { BookSide, OrderBook } from '../../book/orderBook.ts';

/** Levels per side the checksum covers. */
export const OKX_CHECKSUM_DEPTH = 25;

/** Best-first access to levels as text. */
interface TextLevels {
  count: number;
  price(i: number): string;
  size(i: number): string;
}

function interleave(bids: TextLevels, asks: TextLevels, visit: (piece: string) => void): void {
  let first = true;
  const put = (s: string): void => {
    visit(first ? s : `:${s}`);
    first = false;
  };
  for (let i = 0; i < OKX_CHECKSUM_DEPTH; i++) {
    if (i < bids.count) {
      put(bids.price(i));
      put(bids.size(i));
    }
    if (i < asks.count) {
      put(asks.price(i));
      put(asks.size(i));
    }
  }
}

function checksumOf(bids: TextLevels, asks: TextLevels): number {
  let crc = CRC32_INIT;
  interleave(bids, asks, (piece) => {
    crc = crc32Update(crc, piece);
  });
  return toSigned32(crc32Final(crc));
}

function bookLevels(side: BookSide, priceScale: number, sizeScale: number): TextLevels {
  return {
    count: side.count,
    price: (i) => formatScaled(side.priceAt(i), priceScale),
    size: (i) => formatScaled(side.sizeAtLevel(i), sizeScale),
  };
}

function textLevels(levels: readonly LevelText[]): TextLevels {
  return { count: levels.length, price: (i) => levels[i]!.price, size: (i) => levels[i]!.size };
}

/**
 * Signed checksum of a local book, as OKX would send it for this state. Hot path (every message):
 * hashes the mantissas' canonical text digit by digit without building strings; values beyond
 * 2^53 (never seen on OKX) take the text path.
 */
export function okxBookChecksum(book: OrderBook): number {
  const ps = book.priceScale;
  const ss = book.sizeScale;
  const nb = Math.min(book.bids.count, OKX_CHECKSUM_DEPTH);
  const na = Math.min(book.asks.count, OKX_CHECKSUM_DEPTH);
  const bp = TOP_BID_P;
  const bs = TOP_BID_S;
  const ap = TOP_ASK_P;
  const as = TOP_ASK_S;
  book.bids.copyBest(nb, bp, bs);
  book.asks.copyBest(na, ap, as);
  for (let i = 0; i < nb; i++) if (bs[i]! > Number.MAX_SAFE_INTEGER || bp[i]! > Number.MAX_SAFE_INTEGER) return checksumOf(bookLevels(book.bids, ps, ss), bookLevels(book.asks, ps, ss));
  for (let i = 0; i < na; i++) if (as[i]! > Number.MAX_SAFE_INTEGER || ap[i]! > Number.MAX_SAFE_INTEGER) return checksumOf(bookLevels(book.bids, ps, ss), bookLevels(book.asks, ps, ss));
  if (nb + na === 0) return toSigned32(crc32Final(CRC32_INIT));
  // Interleaved bid/ask text, kept per level and side as ":price:size" (from START the first one
  // hashes as if it had no ':'). The state after each level is kept too: hashing resumes at the
  // first level that differs from the last checksum, and each level's text is appended from the
  // book's CrcSegments when the last checksum saw that price and size at that level or one level
  // away (a level inserted or removed above), else written and kept.
  let seg = SEGMENTS.get(book);
  if (seg === undefined || seg.ps !== ps || seg.ss !== ss) {
    seg = { ps, ss, nb: 0, na: 0, after: new Int32Array(OKX_CHECKSUM_DEPTH + 1).fill(START), texts: new CrcSegments(2 * OKX_CHECKSUM_DEPTH) };
    SEGMENTS.set(book, seg);
  }
  const t = seg.texts;
  const from = Math.min(firstChange(t, nb, seg.nb, bp, bs, 0), firstChange(t, na, seg.na, ap, as, 1));
  const after = seg.after;
  if (from < OKX_CHECKSUM_DEPTH) {
    t.begin();
    let c = after[from]!;
    for (let i = from; i < OKX_CHECKSUM_DEPTH; i++) {
      if (i < nb) c = level(t, c, 2 * i, bp[i]!, bs[i]!, ps, ss);
      if (i < na) c = level(t, c, 2 * i + 1, ap[i]!, as[i]!, ps, ss);
      after[i + 1] = c;
    }
    seg.nb = nb;
    seg.na = na;
  }
  return toSigned32(crc32Final(after[OKX_CHECKSUM_DEPTH]!));
}

/** ':' hashed from START gives the initial state. */
const START = crc32Unbyte(CRC32_INIT, 58);

/**
 * First level (of OKX_CHECKSUM_DEPTH when none) where this side's `n` levels differ from the
 * `last` ones of the last checksum, kept at slots `2 * i + side`.
 */
function firstChange(t: CrcSegments, n: number, last: number, prices: Float64Array, sizes: Float64Array, side: number): number {
  const common = Math.min(n, last);
  for (let i = 0; i < common; i++) if (!t.has(2 * i + side, prices[i]!, sizes[i]!)) return i;
  return n === last ? OKX_CHECKSUM_DEPTH : common;
}

/** State `c` followed by ":price:size", kept at position `k` (levels are 2 slots apart). */
function level(t: CrcSegments, c: number, k: number, price: number, size: number, ps: number, ss: number): number {
  if (t.reuse(k, price, size, 2)) return t.append(c, k);
  const end = writeScaled(TEXT, 1, price, ps);
  TEXT[end] = 58;
  return t.put(c, k, price, size, TEXT, writeScaled(TEXT, end + 1, size, ss));
}

/**
 * Per book, the last checksum's texts, level counts and the state after each level (for the
 * book's current scales).
 */
const SEGMENTS = new WeakMap<OrderBook, { ps: number; ss: number; nb: number; na: number; after: Int32Array; texts: CrcSegments }>();

/** One level's text: ':', price, ':', size (each a sign, up to 19 digits and a point). */
const TEXT = new Uint8Array(48);
TEXT[0] = 58;

const TOP_BID_P = new Float64Array(OKX_CHECKSUM_DEPTH);
const TOP_BID_S = new Float64Array(OKX_CHECKSUM_DEPTH);
const TOP_ASK_P = new Float64Array(OKX_CHECKSUM_DEPTH);
const TOP_ASK_S = new Float64Array(OKX_CHECKSUM_DEPTH);

/** The text the checksum hashes for a local book (diagnostics for a mismatch). */
export function okxBookChecksumText(book: OrderBook): string {
  let out = '';
  interleave(bookLevels(book.bids, book.priceScale, book.sizeScale), bookLevels(book.asks, book.priceScale, book.sizeScale), (p) => {
    out += p;
  });
  return out;
}

/** Signed checksum of levels given as the exchange's strings, best first on each side. */
export function okxLevelsChecksum(bids: readonly LevelText[], asks: readonly LevelText[]): number {
  return checksumOf(textLevels(bids), textLevels(asks));
}
