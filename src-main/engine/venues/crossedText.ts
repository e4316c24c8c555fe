/**
 * The words of a crossed-book anomaly (venues.md section 1.2: best bid below best ask, else the
 * book is wrong): the two prices in the venue's decimals, as an operator compares them with the
 * exchange's own screen.
 */
import { formatScaled } from '../../../src-shared/model/decimal.ts';
import type { SymbolBook } from '../sync/symbolBook.ts';

/** "best bid 65114.2 >= best ask 65114.1" in the venue's decimals, for crossed-book anomalies. */
export function crossedText(sb: SymbolBook): string {
  const b = sb.book;
  return `best bid ${formatScaled(b.bids.bestPrice(), b.priceScale)} >= best ask ${formatScaled(b.asks.bestPrice(), b.priceScale)}`;
}
