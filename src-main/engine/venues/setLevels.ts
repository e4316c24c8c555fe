/**
 * A message's levels set on its book: every `[price, size, ...]` text pair of both sides, bids
 * first, each parsed exactly at the book's scales (`SymbolBook.setLevel`; size "0" deletes).
 */
import type { SymbolBook } from '../sync/symbolBook.ts';

/** `[price, size]` texts; entries may carry more elements (counts, ids), which are not read. */
export type LevelTexts = readonly (readonly [string, string, ...unknown[]])[];

/**
 * Set the levels of both sides. Returns how many were set, or -1 at the first level the book
 * rejected: the book has then reported the anomaly, and the message is not to be trusted.
 */
export function setLevels(sb: SymbolBook, bids: LevelTexts, asks: LevelTexts): number {
  for (const [px, qty] of bids) if (!sb.setLevel(true, px, qty)) return -1;
  for (const [px, qty] of asks) if (!sb.setLevel(false, px, qty)) return -1;
  return bids.length + asks.length;
}
