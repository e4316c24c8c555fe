/**
 * Every (venue, symbol) the engine runs: state, sequence lag, freshness, latency, top of book,
 * anomaly counters and trust band. Sortable, filterable, virtualized (fixed 24 px rows), and
 * fed at most once per animation frame, so thousands of rows stay smooth.
 */
import { memo, useCallback, useEffect, useMemo, useRef } from 'react';
import type { ReactNode, RefObject } from 'react';
import type { SymbolStatus } from '../../src-shared/contracts/engineApi.ts';
import { SYNC_STATES } from '../../src-shared/model/market.ts';
import type { SyncState, VenueId } from '../../src-shared/model/market.ts';
import { useConsole, useSession } from '../ConsoleContext.tsx';
import { formatCount, formatDuration, formatLatencyUs, trustText, trustTitle } from '../lib/format.ts';
import { selectRows } from '../lib/symbolRows.ts';
import { useVirtualRows } from '../lib/virtualRows.ts';
import { bookKey } from '../stores/keys.ts';
import { openLadder } from '../stores/uiStore.ts';
import type { SortColumn, TableFilters } from '../stores/uiStore.ts';
import { StateBadge } from './StateBadge.tsx';

export const ROW_PX = 24;

interface Column {
  id: SortColumn | 'trust' | 'actions';
  label: string;
  title: string;
  width: string;
  align?: 'right';
  cell(r: SymbolStatus): ReactNode;
}

function lagCell(r: SymbolStatus): ReactNode {
  return <span className={r.sequenceLag > 0 ? 'text-warn' : undefined}>{formatCount(r.sequenceLag)}</span>;
}

function ageCell(r: SymbolStatus): ReactNode {
  const a = r.updateAgeMs;
  return <span className={a !== null && a > 5_000 ? 'text-warn' : undefined}>{formatDuration(a)}</span>;
}

/** "3.1 / 9.8 ms" when both are in ms, each with its own unit otherwise. */
function latencyPair(p50: number | null, p99: number | null): string {
  const a = formatLatencyUs(p50);
  const b = formatLatencyUs(p99);
  if (a.endsWith(' ms') && b.endsWith(' ms')) return `${a.slice(0, -3)} / ${b}`;
  return p50 === null && p99 === null ? '–' : `${a} / ${b}`;
}

const COLUMNS: Column[] = [
  { id: 'venue', label: 'Venue', title: 'venue id', width: '104px', cell: (r) => r.venue },
  {
    id: 'symbol',
    label: 'Symbol',
    title: "venue symbol (normalized)",
    width: 'minmax(150px, 1.4fr)',
    cell: (r) => (
      <>
        <span className="sym">{r.symbol}</span> <span className="muted">{r.normalized !== r.symbol ? r.normalized : ''}</span>
      </>
    ),
  },
  { id: 'state', label: 'State', title: 'sync state (hover: since when and why)', width: '132px', cell: (r) => <StateBadge state={r.state} title={`${r.state} because ${r.stateCause}`} /> },
  { id: 'lag', label: 'Lag', title: 'sequence lag: updates received but not yet applied', width: '52px', align: 'right', cell: lagCell },
  { id: 'age', label: 'Age', title: 'time since the last book message', width: '92px', align: 'right', cell: ageCell },
  {
    id: 'latency',
    label: 'Lat p50 / p99',
    title: 'exchange-to-receive latency (hover for p99)',
    width: '150px',
    align: 'right',
    cell: (r) => <span title={`p50 ${formatLatencyUs(r.latencyP50Us)}, p99 ${formatLatencyUs(r.latencyP99Us)}`}>{latencyPair(r.latencyP50Us, r.latencyP99Us)}</span>,
  },
  { id: 'bid', label: 'Bid', title: 'best bid (exact)', width: 'minmax(90px, 1fr)', align: 'right', cell: (r) => <span className="bid">{r.bestBid ?? '–'}</span> },
  { id: 'ask', label: 'Ask', title: 'best ask (exact)', width: 'minmax(90px, 1fr)', align: 'right', cell: (r) => <span className="ask">{r.bestAsk ?? '–'}</span> },
  { id: 'spread', label: 'Spread', title: 'best ask − best bid (exact)', width: '84px', align: 'right', cell: (r) => r.spread ?? '–' },
  { id: 'gaps', label: 'Gaps', title: 'sequence gaps detected', width: '50px', align: 'right', cell: (r) => <span className={r.counters.gaps > 0 ? 'text-warn' : undefined}>{formatCount(r.counters.gaps)}</span> },
  { id: 'resyncs', label: 'Rsync', title: 'resyncs', width: '52px', align: 'right', cell: (r) => <span className={r.counters.resyncs > 0 ? 'text-warn' : undefined}>{formatCount(r.counters.resyncs)}</span> },
  {
    id: 'checksums',
    label: 'Cksum ok/bad',
    title: 'exchange checksums verified / failed (n/p = venue sends none)',
    width: '104px',
    align: 'right',
    cell: (r) =>
      r.counters.checksumOk + r.counters.checksumFailed === 0 ? (
        <span className="muted">n/p</span>
      ) : (
        <>
          {formatCount(r.counters.checksumOk)} / <span className={r.counters.checksumFailed > 0 ? 'text-bad' : undefined}>{formatCount(r.counters.checksumFailed)}</span>
        </>
      ),
  },
  { id: 'trust', label: 'Trust band', title: 'price range in which the book is known complete', width: 'minmax(96px, 1fr)', cell: (r) => <span title={trustTitle(r.trustBand)}>{trustText(r.trustBand)}</span> },
  { id: 'actions', label: '', title: '', width: '92px', cell: () => null },
];

const TEMPLATE = COLUMNS.map((c) => c.width).join(' ');

const Row = memo(function Row(props: { r: SymbolStatus; selected: boolean; top: number; onSelect(key: string): void; onOpen(r: SymbolStatus): void; onResync(r: SymbolStatus): void }) {
  const { r } = props;
  const key = bookKey(r.venue, r.symbol);
  return (
    <div
      className={`trow${props.selected ? ' selected' : ''}${r.state !== 'live' ? ' not-live' : ''}`}
      style={{ transform: `translateY(${props.top}px)`, gridTemplateColumns: TEMPLATE }}
      role="row"
      aria-selected={props.selected}
      data-key={key}
      data-testid="symbol-row"
      onClick={() => props.onSelect(key)}
      onDoubleClick={() => props.onOpen(r)}
    >
      {COLUMNS.map((c) =>
        c.id === 'actions' ? (
          <span key={c.id} className="cell actions" role="cell">
            <button type="button" className="btn btn-tiny" title="open the depth ladder (Enter)" onClick={(e) => (e.stopPropagation(), props.onOpen(r))}>
              Ladder
            </button>
            <button type="button" className="btn btn-tiny" title="resync this book now" data-testid="row-resync" onClick={(e) => (e.stopPropagation(), props.onSelect(key), props.onResync(r))}>
              ↻
            </button>
          </span>
        ) : (
          <span key={c.id} className={`cell${c.align === 'right' ? ' num right' : ''}`} role="cell">
            {c.cell(r)}
          </span>
        ),
      )}
    </div>
  );
});

/**
 * The filter controls, apart from the table so that a stats frame (a new table) does not render
 * them: React writes a controlled input's `name` and `type` (and a select's options) on every
 * render of the element, which would be style invalidations every frame for nothing.
 */
const TableFilterControls = memo(function TableFilterControls(props: { filters: TableFilters; venueIds: string; searchRef: RefObject<HTMLInputElement | null>; setFilters(patch: Partial<TableFilters>): void }) {
  const { filters, setFilters } = props;
  return (
    <>
      <input
        ref={props.searchRef}
        className="search"
        type="search"
        placeholder="Search symbol  ( / )"
        value={filters.text}
        aria-label="search symbols"
        data-testid="symbol-search"
        onChange={(e) => setFilters({ text: e.target.value })}
      />
      <select aria-label="venue filter" value={filters.venue} onChange={(e) => setFilters({ venue: e.target.value as VenueId | '' })} data-testid="venue-filter">
        <option value="">all venues</option>
        {props.venueIds === ''
          ? null
          : props.venueIds.split(' ').map((v) => (
              <option key={v} value={v}>
                {v}
              </option>
            ))}
      </select>
      <select aria-label="state filter" value={filters.state} onChange={(e) => setFilters({ state: e.target.value as SyncState | 'not-live' | '' })} data-testid="state-filter">
        <option value="">all states</option>
        <option value="not-live">not live</option>
        {SYNC_STATES.map((s) => (
          <option key={s} value={s}>
            {s}
          </option>
        ))}
      </select>
    </>
  );
});

export function SymbolsTable() {
  const session = useSession();
  const ui = session.stores.ui;
  const symbols = useConsole('market', (s) => s.symbols);
  const venues = useConsole('market', (s) => s.venues);
  const filters = useConsole('ui', (s) => s.filters);
  const sort = useConsole('ui', (s) => s.sort);
  const selected = useConsole('ui', (s) => s.selected);
  const focusTick = useConsole('ui', (s) => s.focusSearchTick);
  const searchRef = useRef<HTMLInputElement | null>(null);

  const rows = useMemo(() => selectRows(symbols.values(), filters, sort), [symbols, filters, sort]);
  const { ref, window: win, scrollToRow } = useVirtualRows(rows.length, ROW_PX);
  // The venues as one string: the same venues are the same props, whatever frame brought them.
  const venueIds = useMemo(() => [...new Set([...venues.map((v) => v.venue), ...[...symbols.values()].map((s) => s.venue)])].sort().join(' '), [venues, symbols]);
  const counts = useMemo(() => {
    let live = 0;
    for (const r of symbols.values()) if (r.state === 'live') live++;
    return { total: symbols.size, live };
  }, [symbols]);

  useEffect(() => {
    if (focusTick > 0) searchRef.current?.focus();
  }, [focusTick]);

  const selectedIndex = useMemo(() => (selected === null ? -1 : rows.findIndex((r) => bookKey(r.venue, r.symbol) === selected)), [rows, selected]);
  const lastScrolledTo = useRef<string | null>(null);
  useEffect(() => {
    // Keep the selection in view when it moved by keyboard (not on every frame).
    if (selectedIndex >= 0 && selected !== lastScrolledTo.current) {
      lastScrolledTo.current = selected;
      scrollToRow(selectedIndex);
    }
  }, [selectedIndex, selected, scrollToRow]);

  const setFilters = useCallback((patch: Partial<TableFilters>) => ui.setState((s) => ({ filters: { ...s.filters, ...patch } })), [ui]);
  const onSort = (c: SortColumn) => ui.setState((s) => ({ sort: s.sort.column === c ? { column: c, desc: !s.sort.desc } : { column: c, desc: c !== 'venue' && c !== 'symbol' && c !== 'state' } }));
  // Stable callbacks so memoized rows re-render only when their own data changes.
  const onSelect = useCallback((key: string) => ui.setState({ selected: key }), [ui]);
  const onOpen = useCallback((r: SymbolStatus) => openLadder(ui, { venue: r.venue, symbol: r.symbol }), [ui]);
  const onResync = useCallback((r: SymbolStatus) => void session.resync({ scope: 'symbol', venue: r.venue, symbol: r.symbol }), [session]);

  const visible = rows.slice(win.first, win.last);
  return (
    <section className="panel symbols" aria-label="symbols" data-testid="symbols-table">
      <div className="toolbar">
        <TableFilterControls filters={filters} venueIds={venueIds} searchRef={searchRef} setFilters={setFilters} />
        <span className="muted count" data-testid="symbols-count">
          {rows.length === counts.total ? `${counts.total} books` : `${rows.length} of ${counts.total} books`} · {counts.live} live
        </span>
      </div>
      <div className="tscroll">
      <div className="thead" role="row" style={{ gridTemplateColumns: TEMPLATE }}>
        {COLUMNS.map((c) =>
          c.id === 'trust' || c.id === 'actions' ? (
            <span key={c.id} className="cell th" title={c.title} role="columnheader">
              {c.label}
            </span>
          ) : (
            <button
              key={c.id}
              type="button"
              className={`cell th sortable${c.align === 'right' ? ' right' : ''}${sort.column === c.id ? ' sorted' : ''}`}
              title={`${c.title} — click to sort`}
              role="columnheader"
              aria-sort={sort.column === c.id ? (sort.desc ? 'descending' : 'ascending') : 'none'}
              onClick={() => onSort(c.id as SortColumn)}
            >
              {c.label}
              {sort.column === c.id ? (sort.desc ? ' ▼' : ' ▲') : ''}
            </button>
          ),
        )}
      </div>
      <div className="tbody" ref={ref} role="rowgroup" data-testid="symbols-body">
        {rows.length === 0 ? (
          <div className="empty">{counts.total === 0 ? 'Waiting for the engine to report books…' : 'No book matches the filters.'}</div>
        ) : (
          <div className="tspacer" style={{ height: win.totalPx }}>
            {visible.map((r, i) => (
              <Row
                key={bookKey(r.venue, r.symbol)}
                r={r}
                top={(win.first + i) * ROW_PX}
                selected={bookKey(r.venue, r.symbol) === selected}
                onSelect={onSelect}
                onOpen={onOpen}
                onResync={onResync}
              />
            ))}
          </div>
        )}
      </div>
      </div>
    </section>
  );
}
