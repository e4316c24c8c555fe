/**
 * The operator's layout and choices, kept across restarts in localStorage: which ladders are
 * open, the selected symbol, table filters and sort, the lower panel's tab, chart range, NBBO
 * grouping. Loaded defensively: a stored value from another version or hand-edited storage is
 * validated field by field and anything unknown falls back to the default (never a crash at
 * start-up because of old storage).
 */
import { createStore } from 'zustand/vanilla';
import type { StoreApi } from 'zustand/vanilla';
import type { ResyncScope } from '../../src-shared/contracts/engineApi.ts';
import { SYNC_STATES } from '../../src-shared/model/market.ts';
import type { SyncState, VenueId } from '../../src-shared/model/market.ts';
import { bookKey } from './keys.ts';
import type { BookRef } from './keys.ts';

export type LowerTab = 'timeline' | 'nbbo' | 'charts';
export const LOWER_TABS: readonly LowerTab[] = ['timeline', 'nbbo', 'charts'];

export type SortColumn = 'venue' | 'symbol' | 'state' | 'lag' | 'age' | 'latency' | 'bid' | 'ask' | 'spread' | 'gaps' | 'resyncs' | 'checksums';
export const SORT_COLUMNS: readonly SortColumn[] = ['venue', 'symbol', 'state', 'lag', 'age', 'latency', 'bid', 'ask', 'spread', 'gaps', 'resyncs', 'checksums'];

export type ChartRange = '1m' | '5m' | '15m' | '1h' | 'all';
export const CHART_RANGES: readonly ChartRange[] = ['1m', '5m', '15m', '1h', 'all'];

export type TimelineKind = 'all' | 'resyncs' | 'transitions' | 'notices' | 'processes';
export const TIMELINE_KINDS: readonly TimelineKind[] = ['all', 'resyncs', 'transitions', 'notices', 'processes'];

export interface TableFilters {
  /** Empty = every venue. */
  venue: VenueId | '';
  /** Empty = every state; 'not-live' = anything but live. */
  state: SyncState | 'not-live' | '';
  text: string;
}

export interface Persisted {
  ladders: BookRef[];
  ladderDepth: number;
  selected: string | null;
  filters: TableFilters;
  sort: { column: SortColumn; desc: boolean };
  lowerTab: LowerTab;
  chartRange: ChartRange;
  nbboGroupQuotes: boolean;
  nbboFilter: string;
  timeline: { kind: TimelineKind; venue: VenueId | ''; text: string };
  /** Height of the lower panel in px. */
  lowerHeight: number;
}

export interface ConfirmRequest {
  title: string;
  body: string;
  confirmLabel: string;
  scope: ResyncScope;
}

export interface UiState extends Persisted {
  helpOpen: boolean;
  confirm: ConfirmRequest | null;
  /** Incremented to ask the search box to take focus ("/"). */
  focusSearchTick: number;
}

export type UiStore = StoreApi<UiState>;

export const STORAGE_KEY = 'depthdesk.console.v1';
export const MAX_LADDERS = 6;
export const LADDER_DEPTHS: readonly number[] = [5, 10, 20, 50];

export function defaults(): Persisted {
  return {
    ladders: [],
    ladderDepth: 10,
    selected: null,
    filters: { venue: '', state: '', text: '' },
    sort: { column: 'venue', desc: false },
    lowerTab: 'timeline',
    chartRange: '5m',
    nbboGroupQuotes: false,
    nbboFilter: '',
    timeline: { kind: 'all', venue: '', text: '' },
    lowerHeight: 300,
  };
}

const str = (v: unknown, max = 200): string | undefined => (typeof v === 'string' && v.length <= max ? v : undefined);
const venueLike = (v: unknown): VenueId | '' | undefined => {
  const s = str(v, 40);
  return s !== undefined && /^[a-z0-9-]*$/.test(s) ? (s as VenueId | '') : undefined;
};
function oneOf<T extends string>(v: unknown, list: readonly T[]): T | undefined {
  return typeof v === 'string' && (list as readonly string[]).includes(v) ? (v as T) : undefined;
}

/** Validate a stored object; every field that is not what this version writes gets its default. */
export function sanitize(raw: unknown): Persisted {
  const d = defaults();
  if (typeof raw !== 'object' || raw === null) return d;
  const o = raw as Record<string, unknown>;
  const out = d;
  if (Array.isArray(o['ladders'])) {
    const seen = new Set<string>();
    for (const l of o['ladders']) {
      const venue = venueLike((l as Record<string, unknown> | null)?.['venue']);
      const symbol = str((l as Record<string, unknown> | null)?.['symbol'], 80);
      if (!venue || !symbol || seen.has(bookKey(venue, symbol))) continue;
      seen.add(bookKey(venue, symbol));
      out.ladders.push({ venue, symbol });
      if (out.ladders.length >= MAX_LADDERS) break;
    }
  }
  if (typeof o['ladderDepth'] === 'number' && LADDER_DEPTHS.includes(o['ladderDepth'])) out.ladderDepth = o['ladderDepth'];
  const sel = str(o['selected'], 120);
  if (sel !== undefined && sel.includes('|')) out.selected = sel;
  const f = o['filters'] as Record<string, unknown> | undefined;
  if (f && typeof f === 'object') {
    out.filters = {
      venue: venueLike(f['venue']) ?? '',
      state: oneOf(f['state'], [...SYNC_STATES, 'not-live', ''] as const) ?? '',
      text: str(f['text'], 80) ?? '',
    };
  }
  const s = o['sort'] as Record<string, unknown> | undefined;
  if (s && typeof s === 'object') out.sort = { column: oneOf(s['column'], SORT_COLUMNS) ?? 'venue', desc: s['desc'] === true };
  out.lowerTab = oneOf(o['lowerTab'], LOWER_TABS) ?? d.lowerTab;
  out.chartRange = oneOf(o['chartRange'], CHART_RANGES) ?? d.chartRange;
  out.nbboGroupQuotes = o['nbboGroupQuotes'] === true;
  out.nbboFilter = str(o['nbboFilter'], 80) ?? '';
  const t = o['timeline'] as Record<string, unknown> | undefined;
  if (t && typeof t === 'object') out.timeline = { kind: oneOf(t['kind'], TIMELINE_KINDS) ?? 'all', venue: venueLike(t['venue']) ?? '', text: str(t['text'], 80) ?? '' };
  if (typeof o['lowerHeight'] === 'number' && o['lowerHeight'] >= 120 && o['lowerHeight'] <= 900) out.lowerHeight = Math.round(o['lowerHeight']);
  return out;
}

/** The subset of Storage the console uses (localStorage in the page, a Map in tests). */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export function loadPersisted(storage: KeyValueStorage | null): Persisted {
  if (!storage) return defaults();
  let text: string | null;
  try {
    text = storage.getItem(STORAGE_KEY);
  } catch {
    return defaults();
  }
  if (text === null) return defaults();
  try {
    return sanitize(JSON.parse(text));
  } catch {
    return defaults();
  }
}

export function persistedOf(s: UiState): Persisted {
  return {
    ladders: s.ladders,
    ladderDepth: s.ladderDepth,
    selected: s.selected,
    filters: s.filters,
    sort: s.sort,
    lowerTab: s.lowerTab,
    chartRange: s.chartRange,
    nbboGroupQuotes: s.nbboGroupQuotes,
    nbboFilter: s.nbboFilter,
    timeline: s.timeline,
    lowerHeight: s.lowerHeight,
  };
}

export function createUiStore(storage: KeyValueStorage | null): UiStore {
  const store = createStore<UiState>(() => ({ ...loadPersisted(storage), helpOpen: false, confirm: null, focusSearchTick: 0 }));
  if (storage) {
    let last = JSON.stringify(persistedOf(store.getState()));
    store.subscribe((s) => {
      const text = JSON.stringify(persistedOf(s));
      if (text === last) return;
      last = text;
      try {
        storage.setItem(STORAGE_KEY, text);
      } catch (e) {
        // A full or disabled storage loses the layout, not the session.
        console.warn('console layout not saved:', (e as Error).message);
      }
    });
  }
  return store;
}

/** Open a ladder (or bring it to the front if it is open); oldest ladders close past MAX_LADDERS. */
export function openLadder(store: UiStore, ref: BookRef): void {
  store.setState((s) => {
    const key = bookKey(ref.venue, ref.symbol);
    const rest = s.ladders.filter((l) => bookKey(l.venue, l.symbol) !== key);
    const ladders = [...rest, { venue: ref.venue, symbol: ref.symbol }];
    return { ladders: ladders.slice(Math.max(0, ladders.length - MAX_LADDERS)), selected: key };
  });
}

/** Open several ladders at once (one symbol across venues). */
export function openLadders(store: UiStore, refs: readonly BookRef[]): void {
  for (const r of refs) openLadder(store, r);
}

export function closeLadder(store: UiStore, ref: BookRef): void {
  const key = bookKey(ref.venue, ref.symbol);
  store.setState((s) => ({ ladders: s.ladders.filter((l) => bookKey(l.venue, l.symbol) !== key) }));
}
