/**
 * The console: header (engine, connection, diagnostics, resync all, help), venue tiles, the
 * symbols table beside the depth ladders, and a lower panel with the resync timeline, the NBBO
 * and the charts. Layout choices persist (uiStore).
 */
import { useEffect, useRef } from 'react';
import type { PointerEvent as ReactPointerEvent } from 'react';
import { useConsole, useSession } from './ConsoleContext.tsx';
import { ChartsPanel } from './components/ChartsPanel.tsx';
import { ConfirmDialog } from './components/ConfirmDialog.tsx';
import { ConnectionBanner, ConnectionStatus } from './components/ConnectionStatus.tsx';
import { DiagnosticsButton } from './components/DiagnosticsButton.tsx';
import { HelpOverlay } from './components/HelpOverlay.tsx';
import { LadderBoard } from './components/LadderBoard.tsx';
import { NbboView } from './components/NbboView.tsx';
import { ResyncActivity } from './components/ResyncActivity.tsx';
import { ResyncTimeline } from './components/ResyncTimeline.tsx';
import { SymbolsTable } from './components/SymbolsTable.tsx';
import { VenueTiles } from './components/VenueTiles.tsx';
import { formatDateTime } from './lib/format.ts';
import { handleShortcut } from './lib/shortcuts.ts';
import type { LowerTab } from './stores/uiStore.ts';

const TAB_LABELS: Record<LowerTab, string> = { timeline: 'Resync timeline', nbbo: 'NBBO', charts: 'Charts' };

function useShortcuts(): void {
  const session = useSession();
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      // Key events on the window itself have no element target.
      const el = e.target instanceof HTMLElement ? e.target : null;
      const tag = el?.tagName ?? '';
      const inField = tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA' || el?.isContentEditable === true;
      // Buttons keep their own Enter/Space; everything else is ours.
      if (!inField && tag === 'BUTTON' && (e.key === 'Enter' || e.key === ' ')) return;
      const out = handleShortcut(session, { key: e.key, ctrlKey: e.ctrlKey, metaKey: e.metaKey, altKey: e.altKey, inField, inSearch: el?.getAttribute('data-testid') === 'symbol-search' });
      if (out === 'ignored') return;
      e.preventDefault();
      if (out === 'blur') el?.blur();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [session]);
}

function Header() {
  const session = useSession();
  const engine = useConsole('market', (s) => s.engine);
  const nowMs = useConsole('market', (s) => s.engineNowMs);
  const total = useConsole('market', (s) => s.symbols.size);
  const askResyncAll = () =>
    session.stores.ui.setState({
      confirm: {
        title: 'Resync every book?',
        body: `All ${total} book(s) on every venue will be rebuilt from fresh snapshots. Venues serve the snapshots through their REST budgets, gap resyncs first; books are not live until exact again.`,
        confirmLabel: `Resync all ${total} books`,
        scope: { scope: 'all' },
      },
    });
  return (
    <header className="app-head">
      <span className="brand">Depthdesk</span>
      {engine ? (
        <span className="muted" title={`engine build ${engine.build}, started ${formatDateTime(engine.startedMs)}`}>
          {engine.mode === 'replay' ? <span className="badge tone-info">◌ replay</span> : <span className="badge tone-ok">● live</span>} engine {engine.build}
        </span>
      ) : null}
      {nowMs !== null ? (
        <span className="muted num" title="engine time of the newest stats">
          {formatDateTime(nowMs)}
        </span>
      ) : null}
      <span className="spacer" />
      <ConnectionStatus />
      <button type="button" className="btn btn-small" onClick={askResyncAll} disabled={total === 0} data-testid="resync-all">
        Resync all…
      </button>
      <DiagnosticsButton />
      <button type="button" className="btn btn-small" onClick={() => session.stores.ui.setState({ helpOpen: true })} title="keyboard shortcuts (?)" aria-label="help">
        ?
      </button>
    </header>
  );
}

function LowerPanel() {
  const session = useSession();
  const tab = useConsole('ui', (s) => s.lowerTab);
  const height = useConsole('ui', (s) => s.lowerHeight);
  const drag = useRef<{ y: number; h: number } | null>(null);
  const onPointerDown = (e: ReactPointerEvent) => {
    drag.current = { y: e.clientY, h: height };
    (e.target as HTMLElement).setPointerCapture?.(e.pointerId);
  };
  const onPointerMove = (e: ReactPointerEvent) => {
    if (!drag.current) return;
    const h = Math.max(120, Math.min(900, drag.current.h - (e.clientY - drag.current.y)));
    session.stores.ui.setState({ lowerHeight: Math.round(h) });
  };
  const onPointerUp = () => {
    drag.current = null;
  };
  return (
    <section className="panel lower" style={{ height }} aria-label="timeline, NBBO and charts">
      <div className="resize-handle" role="separator" aria-orientation="horizontal" title="drag to resize" onPointerDown={onPointerDown} onPointerMove={onPointerMove} onPointerUp={onPointerUp} />
      <div className="tabs" role="tablist">
        {(Object.keys(TAB_LABELS) as LowerTab[]).map((t, i) => (
          <button key={t} type="button" role="tab" aria-selected={t === tab} className={`tab${t === tab ? ' active' : ''}`} data-testid={`tab-${t}`} onClick={() => session.stores.ui.setState({ lowerTab: t })}>
            {TAB_LABELS[t]} <kbd>{i + 1}</kbd>
          </button>
        ))}
      </div>
      <div className="tab-body" role="tabpanel">
        {tab === 'timeline' ? <ResyncTimeline /> : tab === 'nbbo' ? <NbboView /> : <ChartsPanel />}
      </div>
    </section>
  );
}

export function App() {
  useShortcuts();
  const hasLadders = useConsole('ui', (s) => s.ladders.length > 0);
  return (
    <div className="app" data-testid="console">
      <Header />
      <ConnectionBanner />
      <VenueTiles />
      <main className={`workspace${hasLadders ? ' with-ladders' : ''}`}>
        <SymbolsTable />
        <LadderBoard />
      </main>
      <LowerPanel />
      <ResyncActivity />
      <ConfirmDialog />
      <HelpOverlay />
    </div>
  );
}
