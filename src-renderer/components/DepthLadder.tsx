/**
 * Depth ladder of one (venue, symbol): top N per side with sizes and exact cumulative sizes,
 * levels that changed since the previous paint highlighted, the trust band marked (levels beyond
 * a depth-limited snapshot's range are shaded and labelled, never shown as if complete), spread,
 * mid, sync state and last sequence, with the trade tape beside it.
 */
import { Fragment, memo, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import type { BookView, LevelText, TradeView, TrustBandText } from '../../src-shared/contracts/engineApi.ts';
import { useConsole, useSession } from '../ConsoleContext.tsx';
import { compareDecimal, cumulativeSums, maxDecimals, midDecimal, padDecimals, spreadBps, subDecimal } from '../lib/exactDecimal.ts';
import { formatClock, formatCount, trustText, trustTitle } from '../lib/format.ts';
import { recordLadderPaint } from '../lib/perfProbe.ts';
import type { LadderBook } from '../stores/booksStore.ts';
import { bookKey, refOfKey } from '../stores/keys.ts';
import type { BookRef } from '../stores/keys.ts';
import { closeLadder, openLadders } from '../stores/uiStore.ts';
import { keysByInstrument } from '../stores/marketStore.ts';
import { StateBadge } from './StateBadge.tsx';

/** Basis points with two significant digits under 1 bp (0.0016), two decimals above. */
export function formatBps(bps: number): string {
  return bps !== 0 && Math.abs(bps) < 1 ? bps.toPrecision(2) : bps.toFixed(2);
}

export interface LadderRow {
  side: 'bid' | 'ask';
  price: string;
  size: string;
  cum: string | undefined;
  /** Outside the trust band: the book is not known to be complete at this price. */
  untrusted: boolean;
  changed: boolean;
  /** Cumulative size relative to the deepest cumulative shown on either side, 0..1 (bar width only). */
  depth: number;
}

function outsideBand(side: 'bid' | 'ask', price: string, band: TrustBandText): boolean {
  if (band.mode !== 'snapshot') return false;
  if (side === 'bid') return band.bidFloor !== null && compareDecimal(price, band.bidFloor) < 0;
  return band.askCeiling !== null && compareDecimal(price, band.askCeiling) > 0;
}

/** Pure: the rows of a ladder, best level first per side. */
export function ladderRows(view: BookView, changed: ReadonlySet<string>): { bids: LadderRow[]; asks: LadderRow[] } {
  const side = (s: 'bid' | 'ask', levels: readonly LevelText[]) => {
    const cums = cumulativeSums(levels.map((l) => l.size));
    return levels.map((l, i) => ({ side: s, price: l.price, size: l.size, cum: cums[i], untrusted: outsideBand(s, l.price, view.trustBand), changed: changed.has(`${s === 'bid' ? 'b' : 'a'}:${l.price}`), depth: 0 }));
  };
  const bids = side('bid', view.bids);
  const asks = side('ask', view.asks);
  // Bar widths are a picture, not a figure: a double ratio is fine here.
  const deepest = Math.max(Number(bids[bids.length - 1]?.cum ?? 0), Number(asks[asks.length - 1]?.cum ?? 0));
  if (deepest > 0) for (const r of [...bids, ...asks]) r.depth = Number(r.cum ?? 0) / deepest;
  return { bids, asks };
}

interface LevelRowProps {
  side: 'bid' | 'ask';
  price: string;
  size: string;
  cum: string | undefined;
  untrusted: boolean;
  changed: boolean;
  /** Width of the depth bar, whole percent. */
  depthPct: number;
  priceDp: number;
  sizeDp: number;
  cumDp: number;
  /** Column widths in characters (the padding before the value included). */
  priceCh: number;
  sizeCh: number;
  cumCh: number;
}

/**
 * One level: one line of monospaced text (columns right-aligned by padding) in a size-contained
 * element (the stylesheet gives it `contain: size layout style`), so a new price or size reshapes
 * this row's line only and never resizes the ladder, the board or the table beside it (the
 * layout pass itself still starts at the document root: docs/CONSOLE.md), and the line is one
 * inline layout rather than a grid of blocks. Nothing in it is positioned, transformed or translucent:
 * the depth bar is a background of the row sized inline, so a row adds no paint layer or
 * property node for the browser to composite. Rows are keyed by position and updated in place
 * (no DOM churn at full feed rate); props are primitives, so a row whose level did not move or
 * change is not rendered again.
 */
const LevelRow = memo(function LevelRow(r: LevelRowProps) {
  const bar = `${r.depthPct}% calc(100% - 2px)`;
  return (
    <div
      className={`lrow ${r.side}${r.untrusted ? ' untrusted' : ''}${r.changed ? ' changed' : ''}`}
      style={{ backgroundSize: r.untrusted ? `${bar}, auto` : bar }}
      data-testid={`ladder-${r.side}`}
      data-price={r.price}
      data-size={r.size}
      data-cum={r.cum}
      data-depth={r.depthPct}
      title={r.untrusted ? 'outside the trust band: the snapshot this book was built from did not reach this price, levels here may be missing' : undefined}
    >
      <span className="price">{padDecimals(r.price, r.priceDp).padStart(r.priceCh)}</span>
      {`${padDecimals(r.size, r.sizeDp).padStart(r.sizeCh)}${(r.cum === undefined ? '?' : padDecimals(r.cum, r.cumDp)).padStart(r.cumCh)}`}
      {r.untrusted ? <span className="flag"> ?</span> : null}
    </div>
  );
});

function levelRow(r: LadderRow, key: string, dp: { price: number; size: number; cum: number }, ch: readonly [number, number, number]): ReactNode {
  return (
    <LevelRow
      key={key}
      side={r.side}
      price={r.price}
      size={r.size}
      cum={r.cum}
      untrusted={r.untrusted}
      changed={r.changed}
      depthPct={Math.round(r.depth * 100)}
      priceDp={dp.price}
      sizeDp={dp.size}
      cumDp={dp.cum}
      priceCh={ch[0]}
      sizeCh={ch[1]}
      cumCh={ch[2]}
    />
  );
}

/** How long a changed level stays highlighted when its book does not update again. */
export const HIGHLIGHT_MS = 700;
const NOTHING_CHANGED: ReadonlySet<string> = new Set();

function TrustEdge(props: { side: 'bid' | 'ask'; band: TrustBandText }) {
  const price = props.side === 'bid' ? props.band.bidFloor : props.band.askCeiling;
  return (
    <div className="trust-edge" data-testid="trust-edge" title={trustTitle(props.band)}>
      trust band edge {price} — beyond: not known complete
    </div>
  );
}

/** Trades shown beside a ladder (the store keeps more). */
const TAPE_ROWS = 24;

/** One trade: one line of monospaced text, updated in place (rows are keyed by position). */
const TapeRow = memo(function TapeRow(props: { side: TradeView['takerSide']; text: string; title: string }) {
  return (
    <div className={`tape-row ${props.side}`} title={props.title}>
      <span className="side">{props.side === 'buy' ? 'B' : props.side === 'sell' ? 'S' : '?'}</span>
      {props.text}
    </div>
  );
});

export function TradeTape(props: { trades: readonly TradeView[] | undefined }) {
  const trades = props.trades ?? [];
  const shown = trades.slice(0, TAPE_ROWS);
  const dp = maxDecimals(shown.map((t) => t.price));
  const priceCh = Math.max(5, ...shown.map((t) => padDecimals(t.price, dp).length)) + 1;
  const sizeCh = Math.max(4, ...shown.map((t) => t.size.length)) + 1;
  // Rows keyed by position, text replaced in place: a burst of trades changes text, it does not
  // build and drop DOM rows. The tape's width is set from its columns (rows are size-contained).
  return (
    <div className="tape" data-testid="trade-tape" aria-label="trades" style={{ ['--tape-chars' as string]: `${1 + priceCh + sizeCh}` }}>
      <div className="tape-head">Trades</div>
      {trades.length === 0 ? <div className="muted tape-empty">none yet</div> : null}
      {shown.map((t, i) => (
        <TapeRow key={i} side={t.takerSide} text={`${padDecimals(t.price, dp).padStart(priceCh)}${t.size.padStart(sizeCh)}`} title={`trade ${t.tradeId} at ${formatClock(t.exchTsMs)} (exchange), taker ${t.takerSide}`} />
      ))}
    </div>
  );
}

export const DepthLadder = memo(function DepthLadder(props: { book: BookRef }) {
  const { venue, symbol } = props.book;
  const key = bookKey(venue, symbol);
  const session = useSession();
  const lb: LadderBook | undefined = useConsole('books', (s) => s.books[key]);
  const trades = useConsole('books', (s) => s.trades[key]);
  // Only what the ladder shows of the table row, as primitives: a stats frame that changes other
  // figures of this book (or other books) does not re-render the ladder.
  const normalized = useConsole('market', (s) => s.symbols.get(key)?.normalized ?? null);
  const rowState = useConsole('market', (s) => s.symbols.get(key)?.state ?? null);
  const stateTitle = useConsole('market', (s) => {
    const r = s.symbols.get(key);
    return r ? `since ${formatClock(r.stateSinceMs)} because ${r.stateCause}` : undefined;
  });
  /** Other venues quoting the same instrument, as "venue|symbol" keys joined (a stable string). */
  const sameSymbolKeys = useConsole('market', (s) => {
    if (normalized === null) return '';
    const same = keysByInstrument(s.symbols).get(normalized);
    return same === undefined ? '' : same.filter((k) => k !== key).join('\n');
  });
  const depth = useConsole('ui', (s) => s.ladderDepth);

  useLayoutEffect(() => {
    if (lb) recordLadderPaint(lb.arrivedAtMs);
  }, [lb]);

  // Bring the touch into view when the book first arrives or the depth changes; after that the
  // operator's scroll position is theirs.
  const bodyRef = useRef<HTMLDivElement | null>(null);
  const spreadRef = useRef<HTMLDivElement | null>(null);
  const hasView = lb !== undefined;
  useLayoutEffect(() => {
    const body = bodyRef.current;
    const mid = spreadRef.current;
    if (!hasView || !body || !mid) return;
    body.scrollTop = Math.max(0, mid.offsetTop - body.offsetTop - body.clientHeight / 2 + mid.clientHeight / 2);
  }, [hasView, depth]);

  // The levels the newest book changed stay highlighted until the next book replaces them, or
  // HIGHLIGHT_MS when the book goes quiet. A static colour, not an animation: a fading animation
  // per changed level kept the main thread restyling and repainting every row of every ladder on
  // every frame at full feed rate (and each CSS animation sent React two DOM events).
  const [quiet, setQuiet] = useState<LadderBook | null>(null);
  useEffect(() => {
    if (!lb || lb.changed.size === 0) return;
    const t = setTimeout(() => setQuiet(lb), HIGHLIGHT_MS);
    return () => clearTimeout(t);
  }, [lb]);
  const highlight = lb !== undefined && quiet !== lb;
  const rows = useMemo(() => (lb ? ladderRows(lb.view, highlight ? lb.changed : NOTHING_CHANGED) : null), [lb, highlight]);
  const view = lb?.view;
  const bestBid = view?.bids[0]?.price ?? null;
  const bestAsk = view?.asks[0]?.price ?? null;
  const spread = view?.spread ?? (bestBid !== null && bestAsk !== null ? (subDecimal(bestAsk, bestBid) ?? null) : null);
  const mid = view?.mid ?? (bestBid !== null && bestAsk !== null ? (midDecimal(bestBid, bestAsk) ?? null) : null);
  const bps = bestBid !== null && bestAsk !== null ? spreadBps(bestBid, bestAsk) : undefined;
  const state = view?.state ?? rowState ?? undefined;

  const all = rows ? [...rows.bids, ...rows.asks] : [];
  const priceDp = maxDecimals(all.map((r) => r.price));
  const sizeDp = maxDecimals(all.map((r) => r.size));
  const cumDp = maxDecimals(all.map((r) => r.cum));
  // Column widths in characters from the longest value shown, so long decimals never clip and
  // every row of this ladder lines up (each row is one line padded to the columns). The book's
  // width is set from them too: rows are size-contained, the browser never measures them.
  const width = (vals: (string | undefined)[], dp: number, min: number) => Math.max(min, ...vals.map((v) => (v === undefined ? 1 : padDecimals(v, dp).length)));
  const colCh = [width(all.map((r) => r.price), priceDp, 6) + 1, width(all.map((r) => r.size), sizeDp, 5) + 1, width(all.map((r) => r.cum), cumDp, 5) + 1] as const;
  const dp = { price: priceDp, size: sizeDp, cum: cumDp };
  const spreadLine = spread !== null ? `── spread ${spread} · mid ${mid ?? '–'} ──` : view && (view.bids.length === 0 || view.asks.length === 0) ? '── one side empty ──' : '──';
  // Wide enough for the spread line too (same font), which would otherwise wrap.
  const bookStyle = { ['--ladder-chars' as string]: `${Math.max(colCh[0] + colCh[1] + colCh[2] + 2, spreadLine.length + 2)}` };
  const asksTopDown = rows ? [...rows.asks].reverse() : [];
  const firstUntrustedAsk = asksTopDown.findLastIndex((r) => r.untrusted);
  const firstUntrustedBid = rows ? rows.bids.findIndex((r) => r.untrusted) : -1;
  const sameSymbol = sameSymbolKeys === '' ? [] : sameSymbolKeys.split('\n').map((k) => refOfKey(k)!);

  return (
    <section className="ladder" data-testid={`ladder-${venue}-${symbol}`} data-venue={venue} data-symbol={symbol} aria-label={`depth ladder ${venue} ${symbol}`}>
      <header className="ladder-head">
        <div className="ladder-title">
          <span className="sym">{symbol}</span> <span className="muted">{venue}</span>
          {normalized !== null && normalized !== symbol ? <span className="muted"> · {normalized}</span> : null}
        </div>
        <div className="ladder-actions">
          {sameSymbol.length > 0 ? (
            <button type="button" className="btn btn-tiny" title={`open ${normalized ?? symbol} on ${sameSymbol.map((s) => s.venue).join(', ')}`} onClick={() => openLadders(session.stores.ui, sameSymbol)}>
              + {sameSymbol.length} venue{sameSymbol.length > 1 ? 's' : ''}
            </button>
          ) : null}
          <button type="button" className="btn btn-tiny" title="resync this book" data-testid="ladder-resync" onClick={() => void session.resync({ scope: 'symbol', venue, symbol })}>
            ↻ Resync
          </button>
          <button type="button" className="btn btn-tiny" title="close this ladder" aria-label="close ladder" onClick={() => closeLadder(session.stores.ui, props.book)}>
            ✕
          </button>
        </div>
      </header>
      <div className="ladder-meta">
        {state ? <StateBadge state={state} {...(stateTitle !== undefined ? { title: stateTitle } : {})} /> : <span className="muted">waiting for the book…</span>}
        <span className="num" data-testid="ladder-seq" title="last applied venue sequence id">
          seq {view ? (view.seq >= 0 ? view.seq : '–') : '–'}
        </span>
        <span className="num" data-testid="ladder-spread" title="best ask − best bid, exact">
          spread {spread ?? '–'}
          {bps !== undefined ? <span className="muted"> ({formatBps(bps)} bp)</span> : null}
        </span>
        <span className="num" data-testid="ladder-mid" title="(best bid + best ask) / 2, exact">
          mid {mid ?? '–'}
        </span>
      </div>
      <div className="ladder-trust muted" title={view ? trustTitle(view.trustBand) : undefined}>
        trust: {view ? trustText(view.trustBand) : '–'} · {view ? `${formatCount(view.bids.length)}+${formatCount(view.asks.length)} of top ${depth}` : ''} · {view ? formatClock(view.tsMs) : ''}
      </div>
      <div className="ladder-body" ref={bodyRef}>
        <div className="ladder-book" style={bookStyle}>
          <div className="lrow lhead">{`${'price'.padStart(colCh[0])}${'size'.padStart(colCh[1])}${'cum'.padStart(colCh[2])}`}</div>
          {view === undefined ? <div className="muted ladder-wait">subscribed; the first frame has not arrived</div> : null}
          {asksTopDown.map((r, i) => (
            <Fragment key={`a${asksTopDown.length - i}`}>
              {levelRow(r, 'level', dp, colCh)}
              {i === firstUntrustedAsk && view ? <TrustEdge key="edge" side="ask" band={view.trustBand} /> : null}
            </Fragment>
          ))}
          <div className="spread-row" data-testid="ladder-spread-row" ref={spreadRef}>
            {spreadLine}
          </div>
          {rows?.bids.map((r, i) => (
            <Fragment key={`b${i}`}>
              {i === firstUntrustedBid && view ? <TrustEdge key="edge" side="bid" band={view.trustBand} /> : null}
              {levelRow(r, 'level', dp, colCh)}
            </Fragment>
          ))}
        </div>
        <TradeTape trades={trades} />
      </div>
    </section>
  );
});
