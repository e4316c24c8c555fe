/**
 * Cross-venue best bid/offer per normalized instrument, as the engine computes it (never in
 * React): which venue holds each side and at what size, the spread (exact), whether the market
 * is locked or crossed across venues, and which venues were left out and why. USD, USDT and USDC
 * quotes stay separate instruments unless the user groups them (then the engine's grouped NBBO
 * is shown, refreshed every second while this view is open).
 */
import { useMemo } from 'react';
import type { NbboView as Nbbo } from '../../src-shared/contracts/engineApi.ts';
import { useConsole, useSession } from '../ConsoleContext.tsx';
import { spreadBps, subDecimal } from '../lib/exactDecimal.ts';
import { formatClock } from '../lib/format.ts';
import type { Tone } from '../lib/format.ts';
import { formatBps } from './DepthLadder.tsx';
import { Pill } from './StateBadge.tsx';

export function marketCondition(n: Nbbo): { tone: Tone; text: string } {
  if (n.crossed) return { tone: 'bad', text: 'CROSSED' };
  if (n.locked) return { tone: 'warn', text: 'LOCKED' };
  if (n.bid === null || n.ask === null) return { tone: 'muted', text: 'one-sided' };
  return { tone: 'ok', text: 'normal' };
}

function NbboRow(props: { n: Nbbo }) {
  const n = props.n;
  const cond = marketCondition(n);
  const spread = n.bid && n.ask ? subDecimal(n.ask.price, n.bid.price) : undefined;
  const bps = n.bid && n.ask ? spreadBps(n.bid.price, n.ask.price) : undefined;
  const excluded = n.venues.filter((v) => !v.included);
  const included = n.venues.filter((v) => v.included);
  return (
    <div className="nbbo-row" data-testid="nbbo-row" data-instrument={n.instrument} role="row">
      <span className="cell sym">{n.instrument}</span>
      <span className="cell venue-cell" data-testid="nbbo-bid-venue">
        {n.bid?.venue ?? '–'}
      </span>
      <span className="cell num right">{n.bid?.size ?? ''}</span>
      <span className="cell num right bid" data-testid="nbbo-bid">
        {n.bid?.price ?? '–'}
      </span>
      <span className="cell num right ask" data-testid="nbbo-ask">
        {n.ask?.price ?? '–'}
      </span>
      <span className="cell num right">{n.ask?.size ?? ''}</span>
      <span className="cell venue-cell" data-testid="nbbo-ask-venue">
        {n.ask?.venue ?? '–'}
      </span>
      <span className="cell num right">
        {spread ?? '–'}
        {bps !== undefined ? <span className="muted"> {formatBps(bps)}bp</span> : null}
      </span>
      <span className="cell">
        <Pill tone={cond.tone} text={cond.text} />
      </span>
      <span className="cell venues-cell">
        {included.map((v) => (
          <span key={`${v.venue}:${v.symbol}`} className="chip" title={`${v.venue} ${v.symbol}: bid ${v.bid ?? '–'} ask ${v.ask ?? '–'}`}>
            {v.venue}
          </span>
        ))}
        {excluded.map((v) => (
          <span key={`${v.venue}:${v.symbol}`} className="chip chip-excluded" data-testid="nbbo-excluded" title={`${v.venue} ${v.symbol} excluded: ${v.reason ?? 'no reason given'}`}>
            {v.venue} excluded: {v.reason ?? 'no reason given'}
          </span>
        ))}
      </span>
      <span className="cell num muted">{formatClock(n.tsMs)}</span>
    </div>
  );
}

export function NbboView() {
  const session = useSession();
  const ui = session.stores.ui;
  const nbbo = useConsole('market', (s) => s.nbbo);
  const grouped = useConsole('market', (s) => s.nbboGrouped);
  const group = useConsole('ui', (s) => s.nbboGroupQuotes);
  const filter = useConsole('ui', (s) => s.nbboFilter);
  const list = group ? grouped : nbbo;
  const rows = useMemo(() => {
    const f = filter.trim().toLowerCase();
    const l = list ?? [];
    // Instruments quoted by several venues first: that is where an NBBO says something.
    return l.filter((n) => f === '' || n.instrument.toLowerCase().includes(f)).sort((a, b) => b.venues.length - a.venues.length || (a.instrument < b.instrument ? -1 : 1));
  }, [list, filter]);
  return (
    <div className="nbbo" data-testid="nbbo-view">
      <div className="toolbar">
        <input type="search" className="search" placeholder="filter instruments" aria-label="filter instruments" value={filter} onChange={(e) => ui.setState({ nbboFilter: e.target.value })} />
        <label title="Treat USD, USDT and USDC quotes as one instrument (the engine groups them; prices are not converted)">
          <input type="checkbox" checked={group} data-testid="nbbo-group" onChange={(e) => ui.setState({ nbboGroupQuotes: e.target.checked })} /> group USD / USDT / USDC
        </label>
        <span className="muted">
          {rows.length} instrument(s){group ? ' · grouped quotes' : ' · quote currencies kept distinct'}
        </span>
      </div>
      <div className="nbbo-row thead" role="row">
        <span className="cell th">instrument</span>
        <span className="cell th">bid venue</span>
        <span className="cell th right">bid size</span>
        <span className="cell th right">bid</span>
        <span className="cell th right">ask</span>
        <span className="cell th right">ask size</span>
        <span className="cell th">ask venue</span>
        <span className="cell th right">spread</span>
        <span className="cell th">market</span>
        <span className="cell th">venues (excluded with reason)</span>
        <span className="cell th">time (UTC)</span>
      </div>
      <div className="tbody nbbo-body">
        {list === null ? <div className="empty">Asking the engine for the grouped NBBO…</div> : rows.length === 0 ? <div className="empty">No instrument has a cross-venue quote yet.</div> : rows.map((n) => <NbboRow key={n.instrument} n={n} />)}
      </div>
    </div>
  );
}
