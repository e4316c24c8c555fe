/**
 * Real book states for tests of the process plumbing: a recording from ../shared/data run through
 * the real venue adapters (verify), each symbol's final state turned into the contract's
 * `SymbolStatus` and `BookView`. Fakes that stand in for engine processes serve these, so even
 * the plumbing tests carry exact market data and never invented numbers.
 */
import type { BookView, SymbolStatus } from '../../src-shared/contracts/engineApi.ts';
import type { VenueId } from '../../src-shared/model/market.ts';
import { verifyFile } from '../../src-main/engine/verify/verify.ts';
import { bookView, countersView } from '../../src-main/engine/services/statusViews.ts';
import type { SymbolBook } from '../../src-main/engine/sync/symbolBook.ts';
import { dataPath } from './data.ts';

export interface RealBook {
  status: SymbolStatus;
  book: BookView;
}

const cache = new Map<string, Promise<RealBook[]>>();


/** Final books (top `depth`) and statuses of every symbol of a recording (relative to ../shared/data). */
export function realBooks(rel: string, depth = 10): Promise<RealBook[]> {
  const k = `${rel}#${depth}`;
  let p = cache.get(k);
  if (p === undefined) {
    p = (async () => {
      const last = new Map<string, SymbolBook>();
      const report = await verifyFile(dataPath(rel), { onApplied: (sb) => last.set(sb.symbol, sb) });
      if (report.error) throw new Error(report.error);
      return report.symbols.map((s) => {
        const sb = last.get(s.symbol);
        if (sb === undefined) throw new Error(`${rel}: no applied message for ${s.symbol}`);
        const c = s.counters;
        const status: SymbolStatus = {
          venue: s.venue as VenueId,
          symbol: s.symbol,
          normalized: s.normalized,
          base: sb.instrument.base,
          quote: sb.instrument.quote,
          kind: sb.instrument.kind,
          state: 'live',
          stateSinceMs: Number(sb.lastUpdateRecvNs / 1_000_000n),
          stateCause: 'snapshot-aligned',
          seq: sb.seq,
          sequenceLag: 0,
          updateAgeMs: 0,
          latencyP50Us: null,
          latencyP99Us: null,
          bestBid: s.bestBid,
          bestBidSize: s.bestBidSize,
          bestAsk: s.bestAsk,
          bestAskSize: s.bestAskSize,
          spread: null,
          levels: s.levels,
          trustBand: { mode: 'full', bidFloor: null, askCeiling: null },
          counters: countersView(c),
          process: '',
        };
        return { status, book: bookView(sb, depth, Number(sb.lastUpdateRecvNs / 1_000_000n)) };
      });
    })();
    cache.set(k, p);
  }
  return p;
}
