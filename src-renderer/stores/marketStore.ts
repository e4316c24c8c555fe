/**
 * What the engine last said about every venue and (venue, symbol): the source of the venue tiles,
 * the symbols table and the NBBO view. Filled from `status.get` on every (re)connection and then
 * from `stats.frame` events, applied at most once per animation frame by the console session.
 * A stats frame's rows (`StatsFrame.rows`): 'full' replaces the table; 'changed' upserts its rows
 * and ages every other row by the time since the previous stats (its update age grows with the
 * engine clock); unmarked rows (a feed process's changed books) are upserted as they are. A
 * reconnect replaces everything with a fresh `status.get`.
 */
import { createStore } from 'zustand/vanilla';
import type { StoreApi } from 'zustand/vanilla';
import type { EngineStatus, NbboView, ProcessStatus, PublisherView, StatsFrame, SymbolStatus, VenueStatus } from '../../src-shared/contracts/engineApi.ts';
import { bookKey } from './keys.ts';

export interface EngineInfo {
  build: string;
  mode: 'live' | 'replay';
  startedMs: number;
}

export interface MarketState {
  /** (venue|symbol) -> row. Replaced (not mutated) on every change. */
  symbols: ReadonlyMap<string, SymbolStatus>;
  venues: readonly VenueStatus[];
  nbbo: readonly NbboView[];
  /** NBBO with USD/USDT/USDC grouped, fetched only while the user asks for grouping. */
  nbboGrouped: readonly NbboView[] | null;
  processes: readonly ProcessStatus[];
  publisher: PublisherView | null;
  engine: EngineInfo | null;
  /** Engine time of the newest stats (status.get nowMs or frame tsMs). */
  engineNowMs: number | null;
  /** Page time when the newest stats arrived (for "no stats for N s" warnings). */
  receivedAtMs: number | null;
  frames: number;
}

export type MarketStore = StoreApi<MarketState>;

export function createMarketStore(): MarketStore {
  return createStore<MarketState>(() => ({
    symbols: new Map(),
    venues: [],
    nbbo: [],
    nbboGrouped: null,
    processes: [],
    publisher: null,
    engine: null,
    engineNowMs: null,
    receivedAtMs: null,
    frames: 0,
  }));
}

function byVenue(a: VenueStatus, b: VenueStatus): number {
  return a.venue < b.venue ? -1 : a.venue > b.venue ? 1 : 0;
}

/** Replace everything with a full status (first connection, reconnect). */
export function applyStatus(store: MarketStore, s: EngineStatus, nbbo: readonly NbboView[] | null, receivedAtMs: number): void {
  const symbols = new Map<string, SymbolStatus>();
  for (const row of s.symbols) symbols.set(bookKey(row.venue, row.symbol), row);
  store.setState((prev) => ({
    symbols,
    venues: [...s.venues].sort(byVenue),
    nbbo: nbbo ?? prev.nbbo,
    processes: s.processes,
    publisher: s.publisher,
    engine: { build: s.build, mode: s.mode, startedMs: s.startedMs },
    engineNowMs: s.nowMs,
    receivedAtMs,
  }));
}

const byInstrumentMemo = new WeakMap<ReadonlyMap<string, SymbolStatus>, ReadonlyMap<string, readonly string[]>>();

/**
 * The table's book keys ("venue|symbol") per normalized instrument, in table order: indexed once
 * per table (the rows map is replaced on every change), however many views ask.
 */
export function keysByInstrument(symbols: ReadonlyMap<string, SymbolStatus>): ReadonlyMap<string, readonly string[]> {
  let index = byInstrumentMemo.get(symbols);
  if (index === undefined) {
    const m = new Map<string, string[]>();
    for (const [k, r] of symbols) {
      const list = m.get(r.normalized);
      if (list === undefined) m.set(r.normalized, [k]);
      else list.push(k);
    }
    index = m;
    byInstrumentMemo.set(symbols, index);
  }
  return index;
}

/** Every row with its update age (when it has one) grown by `dt` ms. */
function aged(rows: ReadonlyMap<string, SymbolStatus>, dt: number): Map<string, SymbolStatus> {
  const out = new Map<string, SymbolStatus>();
  for (const [k, row] of rows) out.set(k, row.updateAgeMs === null ? row : { ...row, updateAgeMs: row.updateAgeMs + dt });
  return out;
}

/** Merge the stats frames that arrived since the last animation frame (oldest first). */
export function applyStatsFrames(store: MarketStore, frames: readonly StatsFrame[], receivedAtMs: number): void {
  if (frames.length === 0) return;
  store.setState((prev) => {
    let symbols: Map<string, SymbolStatus> | null = null;
    const venues = new Map<string, VenueStatus>();
    for (const v of prev.venues) venues.set(v.venue, v);
    let venuesChanged = false;
    let nbbo: Map<string, NbboView> | null = null;
    let tsMs = prev.engineNowMs ?? 0;
    for (const f of frames) {
      if (f.rows === 'full') {
        symbols = new Map();
        for (const row of f.symbols) symbols.set(bookKey(row.venue, row.symbol), row);
      } else {
        // Every row's age is as of the newest stats time (tsMs): rows left out grow older with it.
        if (f.rows === 'changed' && f.tsMs > tsMs) symbols = aged(symbols ?? prev.symbols, f.tsMs - tsMs);
        if (f.symbols.length > 0) {
          symbols ??= new Map(prev.symbols);
          for (const row of f.symbols) symbols.set(bookKey(row.venue, row.symbol), row);
        }
      }
      for (const v of f.venues) {
        venues.set(v.venue, v);
        venuesChanged = true;
      }
      if (f.nbbo.length > 0) {
        nbbo ??= new Map(prev.nbbo.map((n) => [n.instrument, n]));
        for (const n of f.nbbo) nbbo.set(n.instrument, n);
      }
      // The newest frame's time, even if earlier than what we had: the engine's clock is the truth
      // (a restarted replay goes back in time, and the charts restart with it).
      tsMs = f.tsMs;
    }
    return {
      symbols: symbols ?? prev.symbols,
      venues: venuesChanged ? [...venues.values()].sort(byVenue) : prev.venues,
      nbbo: nbbo ? [...nbbo.values()].sort((a, b) => (a.instrument < b.instrument ? -1 : a.instrument > b.instrument ? 1 : 0)) : prev.nbbo,
      engineNowMs: tsMs,
      receivedAtMs,
      frames: prev.frames + frames.length,
    };
  });
}
