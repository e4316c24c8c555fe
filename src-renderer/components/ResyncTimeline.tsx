/**
 * Live timeline of what happened to the books: resyncs (cause with the venue's own detail, e.g.
 * a gap's expected and received ids; duration; outcome), state transitions, notices and process
 * events. Newest first, filterable by kind, venue and text, virtualized.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import type { NoticeEvent, ProcessEvent, ResyncEvent, TransitionEvent } from '../../src-shared/contracts/engineApi.ts';
import type { VenueId } from '../../src-shared/model/market.ts';
import { useConsole, useSession } from '../ConsoleContext.tsx';
import { formatClock, formatDuration, stateTone } from '../lib/format.ts';
import type { Tone } from '../lib/format.ts';
import { useVirtualRows } from '../lib/virtualRows.ts';
import type { EventsState } from '../stores/eventsStore.ts';
import { bookKey } from '../stores/keys.ts';
import { TIMELINE_KINDS } from '../stores/uiStore.ts';
import type { TimelineKind } from '../stores/uiStore.ts';
import { Pill } from './StateBadge.tsx';

export interface TimelineEntry {
  id: string;
  kind: 'resync' | 'transition' | 'notice' | 'process';
  tsMs: number;
  venue: string;
  symbol: string;
  cause: string;
  detail: string;
  outcome: { tone: Tone; text: string };
  durationMs: number | null;
}

function outcomeTone(o: ResyncEvent['outcome']): Tone {
  return o === 'live' ? 'ok' : o === 'failed' ? 'bad' : o === 'pending' ? 'warn' : 'muted';
}

function resyncEntry(r: ResyncEvent): TimelineEntry {
  return {
    id: `r:${r.id}`,
    kind: 'resync',
    tsMs: r.startedMs,
    venue: r.venue,
    symbol: r.symbol,
    cause: r.cause,
    detail: r.detail,
    outcome: { tone: outcomeTone(r.outcome), text: r.outcome === 'pending' ? 'resyncing…' : r.outcome },
    durationMs: r.durationMs,
  };
}

function transitionEntry(t: TransitionEvent, i: number): TimelineEntry {
  return {
    id: `t:${i}:${t.tsMs}:${t.venue}:${t.symbol}`,
    kind: 'transition',
    tsMs: t.tsMs,
    venue: t.venue,
    symbol: t.symbol,
    cause: t.cause,
    detail: t.detail ?? '',
    outcome: { tone: stateTone(t.to), text: `${t.from} → ${t.to}` },
    durationMs: null,
  };
}

function noticeEntry(n: NoticeEvent, i: number): TimelineEntry {
  return {
    id: `n:${i}:${n.tsMs}`,
    kind: 'notice',
    tsMs: n.tsMs,
    venue: n.venue ?? '',
    symbol: n.symbol ?? '',
    cause: n.level,
    detail: n.message,
    outcome: { tone: n.level === 'error' ? 'bad' : n.level === 'warn' ? 'warn' : 'info', text: n.level },
    durationMs: null,
  };
}

function processEntry(p: ProcessEvent, i: number): TimelineEntry {
  const tone: Tone = p.kind === 'started' ? 'ok' : p.kind === 'crash-loop' || p.kind === 'exited' || p.kind === 'unresponsive' ? 'bad' : 'warn';
  return { id: `p:${i}:${p.tsMs}`, kind: 'process', tsMs: p.tsMs, venue: '', symbol: p.name, cause: p.kind, detail: p.detail, outcome: { tone, text: p.kind }, durationMs: null };
}

/** Pure: the entries to show, newest first. */
export function timelineEntries(s: Pick<EventsState, 'transitions' | 'resyncs' | 'notices' | 'processEvents'>, f: { kind: TimelineKind; venue: VenueId | ''; text: string }): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  const k = f.kind;
  if (k === 'all' || k === 'resyncs') for (const r of s.resyncs) out.push(resyncEntry(r));
  if (k === 'all' || k === 'transitions') s.transitions.forEach((t, i) => out.push(transitionEntry(t, i)));
  if (k === 'all' || k === 'notices') s.notices.forEach((n, i) => out.push(noticeEntry(n, i)));
  if (k === 'all' || k === 'processes') s.processEvents.forEach((p, i) => out.push(processEntry(p, i)));
  const text = f.text.trim().toLowerCase();
  const kept = out.filter((e) => (f.venue === '' || e.venue === f.venue) && (text === '' || `${e.venue} ${e.symbol} ${e.cause} ${e.detail} ${e.outcome.text}`.toLowerCase().includes(text)));
  // Newest first; within the same millisecond, the later arrival first (events come in order).
  const order = new Map<TimelineEntry, number>();
  kept.forEach((e, i) => order.set(e, i));
  kept.sort((a, b) => b.tsMs - a.tsMs || order.get(b)! - order.get(a)!);
  return kept;
}

const ROW_PX = 24;
const TIMELINE_REFRESH_MS = 250;

/** `value`, but changing at most once per `ms` (the latest value wins; nothing is lost). */
export function useThrottled<T>(value: T, ms: number): T {
  const [shown, setShown] = useState(value);
  const last = useRef(0);
  useEffect(() => {
    if (Object.is(value, shown)) return;
    const wait = last.current + ms - Date.now();
    if (wait <= 0) {
      last.current = Date.now();
      setShown(value);
      return;
    }
    const t = setTimeout(() => {
      last.current = Date.now();
      setShown(value);
    }, wait);
    return () => clearTimeout(t);
  }, [value, shown, ms]);
  return shown;
}

export function ResyncTimeline() {
  const session = useSession();
  const ui = session.stores.ui;
  // A busy feed changes the events many times a second; the list is rebuilt at most every
  // TIMELINE_REFRESH_MS (sorting thousands of entries every frame would cost the frame).
  const version = useThrottled(useConsole('events', (s) => s.version), TIMELINE_REFRESH_MS);
  const filter = useConsole('ui', (s) => s.timeline);
  const venues = useConsole('market', (s) => s.venues);
  const entries = useMemo(() => timelineEntries(session.stores.events.getState(), filter), [version, filter, session]);
  const { ref, window: win } = useVirtualRows(entries.length, ROW_PX);
  const setFilter = (patch: Partial<typeof filter>) => ui.setState((s) => ({ timeline: { ...s.timeline, ...patch } }));
  const counts = useMemo(() => {
    const st = session.stores.events.getState();
    let pending = 0;
    let failed = 0;
    for (const r of st.resyncs) {
      if (r.outcome === 'pending') pending++;
      else if (r.outcome === 'failed') failed++;
    }
    return { resyncs: st.resyncs.length, pending, failed };
  }, [version, session]);
  return (
    <div className="timeline" data-testid="resync-timeline">
      <div className="toolbar">
        <select aria-label="event kind" value={filter.kind} onChange={(e) => setFilter({ kind: e.target.value as TimelineKind })}>
          {TIMELINE_KINDS.map((k) => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </select>
        <select aria-label="event venue" value={filter.venue} onChange={(e) => setFilter({ venue: e.target.value as VenueId | '' })}>
          <option value="">all venues</option>
          {venues.map((v) => (
            <option key={v.venue} value={v.venue}>
              {v.venue}
            </option>
          ))}
        </select>
        <input type="search" className="search" placeholder="filter events" aria-label="filter events" value={filter.text} onChange={(e) => setFilter({ text: e.target.value })} />
        <span className="muted">
          {entries.length} event(s) · {counts.resyncs} resync(s), {counts.pending} in progress, {counts.failed} failed
        </span>
      </div>
      <div className="thead tl-grid" role="row">
        <span className="cell th">time (UTC)</span>
        <span className="cell th">kind</span>
        <span className="cell th">venue</span>
        <span className="cell th">symbol</span>
        <span className="cell th">cause</span>
        <span className="cell th">detail</span>
        <span className="cell th">outcome / state</span>
        <span className="cell th right">duration</span>
      </div>
      <div className="tbody" ref={ref}>
        {entries.length === 0 ? (
          <div className="empty">No event yet{filter.kind !== 'all' || filter.venue !== '' || filter.text !== '' ? ' matching the filters' : ''}.</div>
        ) : (
          <div className="tspacer" style={{ height: win.totalPx }}>
            {entries.slice(win.first, win.last).map((e, i) => (
              <div
                key={e.id}
                className={`trow tl-grid kind-${e.kind}`}
                style={{ transform: `translateY(${(win.first + i) * ROW_PX}px)` }}
                data-testid="timeline-row"
                data-kind={e.kind}
                data-cause={e.cause}
                data-key={bookKey(e.venue, e.symbol)}
                onClick={() => (e.venue !== '' ? ui.setState({ selected: bookKey(e.venue, e.symbol) }) : undefined)}
              >
                <span className="cell num">{formatClock(e.tsMs)}</span>
                <span className="cell">{e.kind}</span>
                <span className="cell">{e.venue}</span>
                <span className="cell sym">{e.symbol}</span>
                <span className="cell cause">{e.cause}</span>
                <span className="cell detail" title={e.detail}>
                  {e.detail}
                </span>
                <span className="cell">
                  <Pill tone={e.outcome.tone} text={e.outcome.text} />
                </span>
                <span className="cell num right">{e.kind === 'resync' ? (e.durationMs !== null ? formatDuration(e.durationMs) : '…') : ''}</span>
              </div>
            ))}
          </div>
        )}
      </div>
    </div>
  );
}
