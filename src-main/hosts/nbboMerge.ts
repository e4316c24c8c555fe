/**
 * Merge the NBBO views of several feed processes. Each process sees only the venues it owns, so
 * the cross-venue best bid/offer of an instrument is the best of the processes' partial views.
 * Prices are compared exactly as decimals (never as floats).
 */
import type { NbboView } from '../../src-shared/contracts/engineApi.ts';
import { parseScaledBig, requiredScale } from '../../src-shared/model/decimal.ts';

/** Exact comparison of two decimal strings: negative, 0 or positive. */
export function compareDecimal(a: string, b: string): number {
  const scale = Math.max(requiredScale(a), requiredScale(b));
  const x = parseScaledBig(a, scale);
  const y = parseScaledBig(b, scale);
  if (x === undefined || y === undefined) return a < b ? -1 : a > b ? 1 : 0;
  return x < y ? -1 : x > y ? 1 : 0;
}

export function mergeNbbo(parts: NbboView[][]): NbboView[] {
  const by = new Map<string, NbboView>();
  for (const list of parts) {
    for (const v of list) {
      const cur = by.get(v.instrument);
      if (cur === undefined) {
        by.set(v.instrument, structuredClone(v));
        continue;
      }
      if (v.bid && (!cur.bid || compareDecimal(v.bid.price, cur.bid.price) > 0)) cur.bid = { ...v.bid };
      if (v.ask && (!cur.ask || compareDecimal(v.ask.price, cur.ask.price) < 0)) cur.ask = { ...v.ask };
      cur.venues.push(...v.venues.map((x) => ({ ...x })));
      cur.tsMs = Math.max(cur.tsMs, v.tsMs);
    }
  }
  const out = [...by.values()];
  for (const v of out) {
    const c = v.bid && v.ask ? compareDecimal(v.bid.price, v.ask.price) : -1;
    v.crossed = c > 0;
    v.locked = c === 0;
    v.venues.sort((a, b) => a.venue.localeCompare(b.venue) || a.symbol.localeCompare(b.symbol));
  }
  return out.sort((a, b) => a.instrument.localeCompare(b.instrument));
}
