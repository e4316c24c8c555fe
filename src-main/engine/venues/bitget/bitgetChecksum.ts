/**
 * Bitget order-book checksum (`books` channel; v1 as recorded, v2 where still sent).
 *
 * Docs: https://www.bitget.com/api-doc/spot/websocket/public/Depth-Channel ("Checksum"; the same
 * section in the contract Order-Book-Channel page), venues.md section 13:
 * - take the first 25 levels per side of the local book after applying the message;
 * - build `bid1Price:bid1Size:ask1Price:ask1Size:bid2Price:...`; when one side has fewer than 25
 *   levels, continue with the other side alone (doc examples
 *   "43231.1:4:43232.8:9:43231:6:43232.9:8" and "3366.1:7:3366.8:9:3368:8:3372:8");
 * - CRC-32 of that text, compared as a signed 32-bit integer.
 * The strings are the exchange's originals, trailing zeros included (bitgetLevelText.ts).
 */
import { CRC32_INIT, crc32Final, crc32Update, toSigned32 } from '../../../../src-shared/model/crc32.ts';
import type { OrderBook } from '../../book/orderBook.ts';
import type { BitgetLevelText } from './bitgetLevelText.ts';

/** Levels per side the checksum covers. */
export const BITGET_CHECKSUM_DEPTH = 25;

function pieces(book: OrderBook, text: BitgetLevelText, visit: (piece: string) => void): void {
  let first = true;
  const put = (s: string): void => {
    visit(first ? s : `:${s}`);
    first = false;
  };
  for (let i = 0; i < BITGET_CHECKSUM_DEPTH; i++) {
    if (i < book.bids.count) {
      put(text.priceText(book, true, i));
      put(text.sizeText(book, true, i));
    }
    if (i < book.asks.count) {
      put(text.priceText(book, false, i));
      put(text.sizeText(book, false, i));
    }
  }
}

/** Signed checksum of a local book, as Bitget sends it. */
export function bitgetBookChecksum(book: OrderBook, text: BitgetLevelText): number {
  let crc = CRC32_INIT;
  pieces(book, text, (p) => {
    crc = crc32Update(crc, p);
  });
  return toSigned32(crc32Final(crc));
}

/** The text the checksum hashes (diagnostics for a mismatch, and tests). */
export function bitgetBookChecksumText(book: OrderBook, text: BitgetLevelText): string {
  let out = '';
  pieces(book, text, (p) => {
    out += p;
  });
  return out;
}
