/**
 * The resync timeline's data: book state transitions, resyncs (start and outcome share an id),
 * venue/engine notices and process events, plus the manual resyncs this console asked for and
 * their progress as the engine reports it. Bounded: the newest MAX_EVENTS of each kind are kept.
 */
import { createStore } from 'zustand/vanilla';
import type { StoreApi } from 'zustand/vanilla';
import type { NoticeEvent, ProcessEvent, ResyncEvent, ResyncScope, TransitionEvent } from '../../src-shared/contracts/engineApi.ts';

export const MAX_EVENTS = 5_000;

export interface ManualResync {
  id: number;
  scope: ResyncScope;
  requestedAtMs: number;
  phase: 'sending' | 'accepted' | 'rejected';
  /** Books the engine accepted to resync. */
  accepted: number | null;
  error: string | null;
  /** Resync id -> its latest outcome, for the resyncs that started after this request. */
  outcomes: ReadonlyMap<string, ResyncEvent['outcome']>;
}

export interface EventsState {
  /** Oldest first. */
  transitions: readonly TransitionEvent[];
  /** Oldest first by arrival; an update of a known id replaces it in place. */
  resyncs: readonly ResyncEvent[];
  notices: readonly NoticeEvent[];
  processEvents: readonly ProcessEvent[];
  manual: readonly ManualResync[];
  /** Bumped on every change, for cheap memo keys. */
  version: number;
}

export type EventsStore = StoreApi<EventsState>;

export function createEventsStore(): EventsStore {
  return createStore<EventsState>(() => ({ transitions: [], resyncs: [], notices: [], processEvents: [], manual: [], version: 0 }));
}

export interface PendingEvents {
  transitions: TransitionEvent[];
  resyncs: ResyncEvent[];
  notices: NoticeEvent[];
  processEvents: ProcessEvent[];
}

export function emptyPending(): PendingEvents {
  return { transitions: [], resyncs: [], notices: [], processEvents: [] };
}

function capped<T>(list: readonly T[], add: readonly T[]): readonly T[] {
  if (add.length === 0) return list;
  const all = list.concat(add);
  return all.length > MAX_EVENTS ? all.slice(all.length - MAX_EVENTS) : all;
}

function scopeCovers(scope: ResyncScope, r: ResyncEvent): boolean {
  if (scope.scope === 'all') return true;
  if (scope.scope === 'venue') return r.venue === scope.venue;
  return r.venue === scope.venue && r.symbol === scope.symbol;
}

function mergeResyncs(list: readonly ResyncEvent[], add: readonly ResyncEvent[]): readonly ResyncEvent[] {
  if (add.length === 0) return list;
  const index = new Map<string, number>();
  const out = list.slice();
  for (let i = 0; i < out.length; i++) index.set(out[i]!.id, i);
  for (const r of add) {
    const at = index.get(r.id);
    if (at !== undefined) out[at] = r;
    else {
      index.set(r.id, out.length);
      out.push(r);
    }
  }
  return out.length > MAX_EVENTS ? out.slice(out.length - MAX_EVENTS) : out;
}

/**
 * Attribute manual resync events to the newest accepted request covering them, so a venue-wide
 * request shows "12 accepted · 5 live · 7 pending" as the engine works through its queue.
 */
function trackManual(manual: readonly ManualResync[], add: readonly ResyncEvent[]): readonly ManualResync[] {
  if (manual.length === 0) return manual;
  let out: ManualResync[] | null = null;
  for (const r of add) {
    if (r.cause !== 'manual') continue;
    const cur = out ?? manual;
    for (let i = cur.length - 1; i >= 0; i--) {
      const m = cur[i]!;
      if (m.phase === 'rejected' || !scopeCovers(m.scope, r)) continue;
      if (!m.outcomes.has(r.id) && m.phase === 'accepted' && m.accepted !== null && m.outcomes.size >= m.accepted) continue;
      out ??= manual.slice();
      const outcomes = new Map(m.outcomes);
      outcomes.set(r.id, r.outcome);
      out[i] = { ...m, outcomes };
      break;
    }
  }
  return out ?? manual;
}

export function applyEvents(store: EventsStore, p: PendingEvents): void {
  if (p.transitions.length + p.resyncs.length + p.notices.length + p.processEvents.length === 0) return;
  store.setState((prev) => ({
    transitions: capped(prev.transitions, p.transitions),
    resyncs: mergeResyncs(prev.resyncs, p.resyncs),
    notices: capped(prev.notices, p.notices),
    processEvents: capped(prev.processEvents, p.processEvents),
    manual: trackManual(prev.manual, p.resyncs),
    version: prev.version + 1,
  }));
}

/** Replace the history with what the engine remembers (`events.recent`) after a (re)connection. */
export function seedEvents(store: EventsStore, recent: { transitions: TransitionEvent[]; resyncs: ResyncEvent[]; processes: ProcessEvent[]; notices: NoticeEvent[] }): void {
  store.setState((prev) => ({
    transitions: capped([], [...recent.transitions].sort((a, b) => a.tsMs - b.tsMs)),
    resyncs: mergeResyncs([], [...recent.resyncs].sort((a, b) => a.startedMs - b.startedMs)),
    notices: capped([], [...recent.notices].sort((a, b) => a.tsMs - b.tsMs)),
    processEvents: capped([], [...recent.processes].sort((a, b) => a.tsMs - b.tsMs)),
    manual: prev.manual,
    version: prev.version + 1,
  }));
}

let nextManualId = 1;

export function addManual(store: EventsStore, scope: ResyncScope, nowMs: number): number {
  const id = nextManualId++;
  store.setState((prev) => ({
    manual: [...prev.manual.slice(-19), { id, scope, requestedAtMs: nowMs, phase: 'sending', accepted: null, error: null, outcomes: new Map() }],
    version: prev.version + 1,
  }));
  return id;
}

export function settleManual(store: EventsStore, id: number, result: { accepted: number } | { error: string }): void {
  store.setState((prev) => ({
    manual: prev.manual.map((m) => (m.id !== id ? m : 'error' in result ? { ...m, phase: 'rejected' as const, error: result.error } : { ...m, phase: 'accepted' as const, accepted: result.accepted })),
    version: prev.version + 1,
  }));
}

export function dismissManual(store: EventsStore, id: number): void {
  store.setState((prev) => ({ manual: prev.manual.filter((m) => m.id !== id), version: prev.version + 1 }));
}

export interface ManualProgress {
  started: number;
  live: number;
  failed: number;
  pending: number;
  superseded: number;
  done: boolean;
}

export function manualProgress(m: ManualResync): ManualProgress {
  let live = 0;
  let failed = 0;
  let pending = 0;
  let superseded = 0;
  for (const o of m.outcomes.values()) {
    if (o === 'live') live++;
    else if (o === 'failed') failed++;
    else if (o === 'superseded') superseded++;
    else pending++;
  }
  const started = m.outcomes.size;
  const done = m.phase === 'rejected' || (m.phase === 'accepted' && m.accepted !== null && started >= m.accepted && pending === 0);
  return { started, live, failed, pending, superseded, done };
}
