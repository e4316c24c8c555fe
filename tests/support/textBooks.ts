/**
 * Books the replay tests rebuild on their own from the raw recorded lines, independently of the
 * venue adapters: maps of price text to size text, compared with what the verifier built from
 * the same lines.
 */
import { expect } from 'vitest';
import type { SymbolReport } from '../../src-main/engine/verify/verify.ts';
import type { SymbolBook } from '../../src-main/engine/sync/symbolBook.ts';
import { formatScaled, parseScaled, requiredScale } from '../../src-shared/model/decimal.ts';

export interface TextBook {
  bids: Map<string, string>;
  asks: Map<string, string>;
}

/** A decimal text in canonical form ("4.0" -> "4", "0.0795" stays). */
export function canon(s: string): string {
  const scale = requiredScale(s);
  return formatScaled(parseScaled(s, scale), scale);
}

/** The best price text of one side (highest bid, lowest ask), compared exactly; null when empty. */
export function bestPrice(side: Map<string, string>, isBid: boolean): string | null {
  let best: string | null = null;
  for (const p of side.keys()) {
    if (best === null) best = p;
    else {
      const s = Math.max(requiredScale(p), requiredScale(best));
      const better = isBid ? parseScaled(p, s) > parseScaled(best, s) : parseScaled(p, s) < parseScaled(best, s);
      if (better) best = p;
    }
  }
  return best;
}

/** The verifier's book holds exactly the rebuilt levels, no more, no fewer, at its own scales. */
export function expectSameBook(sb: SymbolBook, want: TextBook): void {
  const { priceScale: ps, sizeScale: ss } = sb.book;
  const side = (m: Map<string, string>, bids: boolean) =>
    [...m].map(([p, q]) => [parseScaled(p, ps), parseScaled(q, ss)]).sort((a, b) => (bids ? b[0]! - a[0]! : a[0]! - b[0]!));
  const top = sb.book.top(100_000);
  expect(top.bids).toEqual(side(want.bids, true));
  expect(top.asks).toEqual(side(want.asks, false));
}

/** A book that went live and never lost sync: no failure, no gap, no duplicate. */
export function expectClean(s: SymbolReport): void {
  expect(s.failures, s.symbol).toEqual([]);
  expect(s.state).toBe('live');
  expect(s.counters.gaps).toBe(0);
  expect(s.counters.duplicates).toBe(0);
}

/**
 * A REST-aligned book (snapshot, then diffs) equal to an independent rebuild: clean, one snapshot,
 * the same diffs applied and the same ones found inside the snapshot, the same levels.
 */
export function expectAlignedAsRebuilt(s: SymbolReport, sb: SymbolBook, want: TextBook & { applied: number; dropped: number }): void {
  expectClean(s);
  expect(s.counters.snapshots).toBe(1);
  expect(s.counters.applied, s.symbol).toBe(want.applied);
  expect(s.counters.droppedBeforeSnapshot, s.symbol).toBe(want.dropped);
  expectSameBook(sb, want);
}

/**
 * A report equal to an independent rebuild of a book whose updates name existing levels (BitMEX
 * ids, Deribit actions): live from one snapshot, every message applied, every level reference
 * matched (`refs`), the same number of levels and the same best prices and sizes.
 */
export function expectMatchesRebuild(s: SymbolReport, ref: TextBook & { messages: number; refs: number }): void {
  expect(s.failures, s.symbol).toEqual([]);
  expect(s.state).toBe('live');
  expect(s.counters.gaps).toBe(0);
  expect(s.counters.snapshots).toBe(1);
  expect(s.counters.messages).toBe(ref.messages);
  expect(s.counters.applied).toBe(ref.messages);
  expect(s.counters.refsOk).toBe(ref.refs);
  expect(s.levels).toBe(ref.bids.size + ref.asks.size);
  const bb = bestPrice(ref.bids, true);
  const ba = bestPrice(ref.asks, false);
  expect(s.bestBid).toBe(bb);
  expect(s.bestAsk).toBe(ba);
  expect(s.bestBidSize).toBe(bb === null ? null : ref.bids.get(bb));
  expect(s.bestAskSize).toBe(ba === null ? null : ref.asks.get(ba));
}
