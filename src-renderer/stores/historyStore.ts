/**
 * Time series for the charts, sampled from the stats the console already receives (no extra
 * requests): per venue messages/s, latency p50/p99 and resyncs started per sample; for the
 * inspected symbol its best bid/ask, mid and spread. One sample per SAMPLE_MS of engine time,
 * bounded to MAX_SAMPLES (one hour at one per second). Values are doubles because charts plot
 * doubles; the exact figures are in the table and the ladder.
 */
import { createStore } from 'zustand/vanilla';
import type { StoreApi } from 'zustand/vanilla';
import type { SymbolStatus, VenueStatus } from '../../src-shared/contracts/engineApi.ts';
import { midDecimal, subDecimal, toPlotNumber } from '../lib/exactDecimal.ts';

export const SAMPLE_MS = 1_000;
export const MAX_SAMPLES = 3_600;

export interface VenueSeries {
  msgsPerSec: (number | null)[];
  latencyP50Ms: (number | null)[];
  latencyP99Ms: (number | null)[];
  /** Resyncs started since the previous sample. */
  resyncs: (number | null)[];
}

export interface InspectedSeries {
  key: string;
  /** Seconds since the epoch (uPlot's x unit). */
  t: number[];
  bid: (number | null)[];
  ask: (number | null)[];
  mid: (number | null)[];
  spread: (number | null)[];
}

export interface HistoryState {
  /** Seconds since the epoch, one per sample. */
  t: number[];
  venues: Record<string, VenueSeries>;
  inspected: InspectedSeries | null;
  /** Bumped on every new sample (charts redraw on it). */
  version: number;
}

export type HistoryStore = StoreApi<HistoryState>;

export function createHistoryStore(): HistoryStore {
  return createStore<HistoryState>(() => ({ t: [], venues: {}, inspected: null, version: 0 }));
}

function trim<T>(a: T[], n: number): void {
  if (a.length > n) a.splice(0, a.length - n);
}

/** Engine time of the last sample per store, and the venues' cumulative resync counts then. */
const lastSample = new WeakMap<HistoryStore, { tsMs: number; resyncs: Map<string, number> }>();

/**
 * Record one sample from the venue tiles at engine time `tsMs` (ignored when less than SAMPLE_MS
 * after the previous one). Arrays are appended in place and the state object replaced, so a
 * chart can hand them to uPlot without copying an hour of samples every second.
 */
export function sampleVenues(store: HistoryStore, venues: readonly VenueStatus[], tsMs: number): boolean {
  let last = lastSample.get(store);
  if (last && tsMs < last.tsMs - SAMPLE_MS) {
    // The engine's clock went back (a replay restarted, another engine answered): a time axis
    // must be increasing, so the history starts again rather than drawing a zigzag.
    store.setState({ t: [], venues: {}, version: store.getState().version + 1 });
    lastSample.delete(store);
    last = undefined;
  }
  if (last && tsMs - last.tsMs < SAMPLE_MS) return false;
  const prev = store.getState();
  const t = prev.t;
  const series = prev.venues;
  const n = t.length;
  t.push(tsMs / 1000);
  const resyncs = new Map<string, number>();
  for (const v of venues) {
    let s = series[v.venue];
    if (!s) {
      // A venue that appears later gets nulls for the samples before it existed.
      s = { msgsPerSec: Array(n).fill(null), latencyP50Ms: Array(n).fill(null), latencyP99Ms: Array(n).fill(null), resyncs: Array(n).fill(null) };
      series[v.venue] = s;
    }
    s.msgsPerSec.push(v.messagesPerSec);
    s.latencyP50Ms.push(v.latencyP50Us === null ? null : v.latencyP50Us / 1000);
    s.latencyP99Ms.push(v.latencyP99Us === null ? null : v.latencyP99Us / 1000);
    const before = last?.resyncs.get(v.venue);
    s.resyncs.push(before === undefined ? 0 : Math.max(0, v.resyncs - before));
    resyncs.set(v.venue, v.resyncs);
  }
  for (const [venue, s] of Object.entries(series)) {
    if (s.msgsPerSec.length === n) {
      s.msgsPerSec.push(null);
      s.latencyP50Ms.push(null);
      s.latencyP99Ms.push(null);
      s.resyncs.push(null);
    }
    trim(s.msgsPerSec, MAX_SAMPLES);
    trim(s.latencyP50Ms, MAX_SAMPLES);
    trim(s.latencyP99Ms, MAX_SAMPLES);
    trim(s.resyncs, MAX_SAMPLES);
    if (!resyncs.has(venue) && last?.resyncs.has(venue)) resyncs.set(venue, last.resyncs.get(venue)!);
  }
  trim(t, MAX_SAMPLES);
  lastSample.set(store, { tsMs, resyncs });
  store.setState({ t, venues: series, version: prev.version + 1 });
  return true;
}

/** Record the inspected symbol's top of book; switching symbols starts a new series. */
export function sampleInspected(store: HistoryStore, key: string | null, row: SymbolStatus | undefined, tsMs: number): void {
  const prev = store.getState();
  if (key === null) {
    if (prev.inspected !== null) store.setState({ inspected: null, version: prev.version + 1 });
    return;
  }
  let s = prev.inspected;
  if (s === null || s.key !== key) s = { key, t: [], bid: [], ask: [], mid: [], spread: [] };
  const lastT = s.t[s.t.length - 1];
  if (lastT !== undefined && tsMs / 1000 < lastT - SAMPLE_MS / 1000) s = { key, t: [], bid: [], ask: [], mid: [], spread: [] };
  else if (lastT !== undefined && tsMs / 1000 - lastT < SAMPLE_MS / 1000) {
    if (s !== prev.inspected) store.setState({ inspected: s, version: prev.version + 1 });
    return;
  }
  const bid = row?.bestBid ?? null;
  const ask = row?.bestAsk ?? null;
  s.t.push(tsMs / 1000);
  s.bid.push(toPlotNumber(bid));
  s.ask.push(toPlotNumber(ask));
  s.mid.push(bid !== null && ask !== null ? toPlotNumber(midDecimal(bid, ask)) : null);
  s.spread.push(row?.spread != null ? toPlotNumber(row.spread) : bid !== null && ask !== null ? toPlotNumber(subDecimal(ask, bid)) : null);
  for (const a of [s.t, s.bid, s.ask, s.mid, s.spread] as unknown[][]) trim(a, MAX_SAMPLES);
  store.setState({ inspected: s, version: prev.version + 1 });
}
