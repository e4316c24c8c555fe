/**
 * Filtering and sorting of the symbols table, kept pure so thousands of rows can be tested
 * without a DOM. Prices sort exactly (decimal strings compared as scaled BigInts, parsed once per
 * row, never through floats); missing values always sort last whichever the direction.
 */
import type { SymbolStatus } from '../../src-shared/contracts/engineApi.ts';
import type { SortColumn, TableFilters } from '../stores/uiStore.ts';
import { toScaled } from './exactDecimal.ts';
import type { Scaled } from './exactDecimal.ts';
import { stateRank } from './format.ts';

export function matchesFilters(r: SymbolStatus, f: TableFilters, textLower: string): boolean {
  if (f.venue !== '' && r.venue !== f.venue) return false;
  if (f.state === 'not-live') {
    if (r.state === 'live') return false;
  } else if (f.state !== '' && r.state !== f.state) return false;
  if (textLower !== '') {
    if (!r.symbol.toLowerCase().includes(textLower) && !r.normalized.toLowerCase().includes(textLower) && !r.venue.includes(textLower)) return false;
  }
  return true;
}

type Key = number | string | Scaled | null;

function keyOf(r: SymbolStatus, c: SortColumn): Key {
  switch (c) {
    case 'venue':
      return `${r.venue}\u0000${r.symbol}`;
    case 'symbol':
      return `${r.normalized}\u0000${r.venue}`;
    case 'state':
      return stateRank(r.state);
    case 'lag':
      return r.sequenceLag;
    case 'age':
      return r.updateAgeMs;
    case 'latency':
      return r.latencyP50Us;
    case 'bid':
      return r.bestBid === null ? null : (toScaled(r.bestBid) ?? null);
    case 'ask':
      return r.bestAsk === null ? null : (toScaled(r.bestAsk) ?? null);
    case 'spread':
      return r.spread === null ? null : (toScaled(r.spread) ?? null);
    case 'gaps':
      return r.counters.gaps;
    case 'resyncs':
      return r.counters.resyncs;
    case 'checksums':
      // Failures dominate; among equal failures, more verified checksums rank higher.
      return r.counters.checksumFailed * 1e9 + r.counters.checksumOk;
  }
}

function cmpScaled(a: Scaled, b: Scaled): number {
  const s = Math.max(a.scale, b.scale);
  const x = a.scale === s ? a.mant : a.mant * 10n ** BigInt(s - a.scale);
  const y = b.scale === s ? b.mant : b.mant * 10n ** BigInt(s - b.scale);
  return x < y ? -1 : x > y ? 1 : 0;
}

function cmpKey(a: Key, b: Key): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return cmpScaled(a as Scaled, b as Scaled);
}

/** Filter then sort; ties keep venue/symbol order so rows do not jump between frames. */
export function selectRows(rows: Iterable<SymbolStatus>, f: TableFilters, sort: { column: SortColumn; desc: boolean }): SymbolStatus[] {
  const textLower = f.text.trim().toLowerCase();
  const kept: { r: SymbolStatus; k: Key; tie: string }[] = [];
  for (const r of rows) if (matchesFilters(r, f, textLower)) kept.push({ r, k: keyOf(r, sort.column), tie: `${r.venue}\u0000${r.symbol}` });
  const dir = sort.desc ? -1 : 1;
  kept.sort((a, b) => {
    if (a.k === null || b.k === null) {
      if (a.k === null && b.k !== null) return 1;
      if (b.k === null && a.k !== null) return -1;
    } else {
      const c = cmpKey(a.k, b.k);
      if (c !== 0) return c * dir;
    }
    return a.tie < b.tie ? -1 : a.tie > b.tie ? 1 : 0;
  });
  return kept.map((x) => x.r);
}
