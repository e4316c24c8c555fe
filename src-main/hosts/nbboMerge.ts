/**
 * Merge the NBBO views of several feed processes. Each process sees only the venues it owns, so
 * the cross-venue best bid/offer of an instrument is the best of the processes' partial views.
 * Prices are compared exactly as decimals (never as floats).
 */
import type { NbboView } from '../../src-shared/contracts/engineApi.ts';
import { compareDecimalText } from '../engine/analytics/nbbo.ts';

export function mergeNbbo(parts: NbboView[][]): NbboView[] {
  const by = new Map<string, NbboView>();
  for (const list of parts) {
    for (const v of list) {
      const cur = by.get(v.instrument);
      if (cur === undefined) {
        by.set(v.instrument, structuredClone(v));
        continue;
      }
      if (v.bid && (!cur.bid || compareDecimalText(v.bid.price, cur.bid.price) > 0)) cur.bid = { ...v.bid };
      if (v.ask && (!cur.ask || compareDecimalText(v.ask.price, cur.ask.price) < 0)) cur.ask = { ...v.ask };
      cur.venues.push(...v.venues.map((x) => ({ ...x })));
      cur.tsMs = Math.max(cur.tsMs, v.tsMs);
    }
  }
  const out = [...by.values()];
  for (const v of out) {
    const c = v.bid && v.ask ? compareDecimalText(v.bid.price, v.ask.price) : -1;
    v.crossed = c > 0;
    v.locked = c === 0;
    v.venues.sort((a, b) => a.venue.localeCompare(b.venue) || a.symbol.localeCompare(b.symbol));
  }
  return out.sort((a, b) => a.instrument.localeCompare(b.instrument));
}
