/** Immediate feedback for manual resyncs: sent → accepted N → live/pending/failed as the engine reports. */
import { useEffect } from 'react';
import type { ReactNode } from 'react';
import { useConsole, useSession } from '../ConsoleContext.tsx';
import { dismissManual, manualProgress } from '../stores/eventsStore.ts';
import type { ManualResync } from '../stores/eventsStore.ts';
import { Pill } from './StateBadge.tsx';

/** How long a request that ended well stays on screen. */
const DONE_VISIBLE_MS = 15_000;

function scopeText(m: ManualResync): string {
  const s = m.scope;
  return s.scope === 'all' ? 'every book' : s.scope === 'venue' ? `venue ${s.venue}` : `${s.venue} ${s.symbol}`;
}

function Item(props: { m: ManualResync }) {
  const session = useSession();
  const m = props.m;
  const p = manualProgress(m);
  // A finished request leaves the screen by itself after a while (its resyncs stay in the timeline).
  const done = p.done && p.failed === 0 && m.phase !== 'rejected';
  useEffect(() => {
    if (!done) return;
    const t = setTimeout(() => dismissManual(session.stores.events, m.id), DONE_VISIBLE_MS);
    return () => clearTimeout(t);
  }, [done, m.id, session]);
  let body: ReactNode;
  if (m.phase === 'sending') body = <Pill tone="info" text="sending…" />;
  else if (m.phase === 'rejected') body = <Pill tone="bad" text={`refused: ${m.error ?? ''}`} />;
  else if (m.accepted === 0) body = <Pill tone="muted" text="nothing to resync" />;
  else
    body = (
      <>
        <Pill tone={p.failed > 0 ? 'bad' : p.done ? 'ok' : 'warn'} text={p.done ? (p.failed > 0 ? 'finished with failures' : 'done') : 'in progress'} />{' '}
        <span className="num">
          {m.accepted} accepted · {p.live} live · {p.pending + Math.max(0, (m.accepted ?? 0) - p.started)} pending · {p.failed} failed
        </span>
      </>
    );
  return (
    <div className="activity-item" data-testid="resync-activity" data-phase={m.phase} data-done={p.done ? 'yes' : 'no'}>
      <span className="activity-scope">Resync {scopeText(m)}</span> {body}
      <button type="button" className="btn btn-tiny" aria-label="dismiss" onClick={() => dismissManual(session.stores.events, m.id)}>
        ✕
      </button>
    </div>
  );
}

export function ResyncActivity() {
  const manual = useConsole('events', (s) => s.manual);
  if (manual.length === 0) return null;
  return (
    <div className="activity" aria-live="polite">
      {manual.slice(-4).map((m) => (
        <Item key={m.id} m={m} />
      ))}
    </div>
  );
}
