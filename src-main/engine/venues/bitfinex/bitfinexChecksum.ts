/**
 * Bitfinex v2 order-book checksum (conf flag 131072, OB_CHECKSUM).
 *
 * Docs: https://docs.bitfinex.com/docs/ws-websocket-checksum and the official sample
 * gist.github.com/prdn/b9c9c24fb1bb38604dcd1e94ee89dd9e (venues.md section 14.3). For aggregated
 * books (P0-P4):
 *
 *   for i in 0..24: if bids[i] push bids[i].price, bids[i].amount
 *                   if asks[i] push asks[i].price, asks[i].amount   (ask amounts are negative)
 *   CRC32(join(':')) compared as a signed 32-bit integer.
 *
 * `join` renders each number with JavaScript's Number.prototype.toString: no trailing zeros,
 * exponent form below 1e-6 ("1e-7") and from 1e21. The book holds exact mantissas; the double
 * `mantissa / 10^scale` is the correctly rounded value of that decimal (both operands are exact
 * doubles and IEEE division rounds correctly), which is the same double JSON.parse gives for the
 * wire text, so String() of it is exactly what the server hashed.
 */
import { CRC32_INIT, crc32Final, crc32Update, toSigned32 } from '../../../../src-shared/model/crc32.ts';
import { pow10 } from '../../../../src-shared/model/decimal.ts';
import type { OrderBook } from '../../book/orderBook.ts';

/** Levels per side the checksum covers. */
export const BITFINEX_CHECKSUM_DEPTH = 25;

/** A mantissa at `scale` rendered as JavaScript renders the number ("0.0001", "1e-7", "-2.5"). */
export function bitfinexNumberText(mantissa: number, scale: number): string {
  return String(mantissa / pow10(scale));
}

function pieces(book: OrderBook, visit: (piece: string) => void): void {
  const { bids, asks, priceScale: ps, sizeScale: ss } = book;
  let first = true;
  const put = (s: string): void => {
    visit(first ? s : `:${s}`);
    first = false;
  };
  for (let i = 0; i < BITFINEX_CHECKSUM_DEPTH; i++) {
    if (i < bids.count) {
      put(bitfinexNumberText(bids.priceAt(i), ps));
      put(bitfinexNumberText(bids.sizeAtLevel(i), ss));
    }
    if (i < asks.count) {
      put(bitfinexNumberText(asks.priceAt(i), ps));
      put(bitfinexNumberText(-asks.sizeAtLevel(i), ss));
    }
  }
}

/** Signed checksum of a local aggregated book, as Bitfinex sends it in `[chanId,"cs",checksum]`. */
export function bitfinexBookChecksum(book: OrderBook): number {
  let crc = CRC32_INIT;
  pieces(book, (p) => {
    crc = crc32Update(crc, p);
  });
  return toSigned32(crc32Final(crc));
}

/** The text the checksum hashes (diagnostics for a mismatch). */
export function bitfinexBookChecksumText(book: OrderBook): string {
  let out = '';
  pieces(book, (p) => {
    out += p;
  });
  return out;
}
