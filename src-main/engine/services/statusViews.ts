/**
 * Builders from engine objects (SymbolBook, Trade) to the contract views of engineApi.ts.
 * Prices and sizes leave the engine only as exact decimal strings (formatScaled of the integer
 * mantissas); counters are copied field by field so that engine-internal counters never leak into
 * the contract by accident.
 */
import type { BookView, LevelText, SymbolCountersView, SymbolStatus, TradeView, TrustBandText } from '../../../src-shared/contracts/engineApi.ts';
import { formatScaled } from '../../../src-shared/model/decimal.ts';
import type { Trade, VenueId } from '../../../src-shared/model/market.ts';
import type { BookSide } from '../book/orderBook.ts';
import type { SymbolBook, SymbolCounters } from '../sync/symbolBook.ts';

/** The contract's counters of a book (also of a verify report's counters). */
export function countersView(c: SymbolCounters): SymbolCountersView {
  return {
    messages: c.messages,
    applied: c.applied,
    levelUpdates: c.levelUpdates,
    snapshots: c.snapshots,
    gaps: c.gaps,
    duplicates: c.duplicates,
    regress: c.regress,
    resyncs: c.resyncs,
    checksumOk: c.checksumOk,
    checksumFailed: c.checksumFailed,
    checksumNotProvided: c.checksumNotProvided,
    crossCheckOk: c.crossCheckOk,
    crossCheckFailed: c.crossCheckFailed,
    crossed: c.crossed,
    invalid: c.invalid,
    stale: c.stale,
    trades: c.trades,
  };
}

export function trustBandText(sb: SymbolBook): TrustBandText {
  const t = sb.book.trustBand();
  const ps = sb.book.priceScale;
  return {
    mode: t.mode,
    bidFloor: Number.isNaN(t.bidFloor) ? null : formatScaled(t.bidFloor, ps),
    askCeiling: Number.isNaN(t.askCeiling) ? null : formatScaled(t.askCeiling, ps),
  };
}

function levels(side: BookSide, n: number, ps: number, ss: number): LevelText[] {
  const out: LevelText[] = [];
  const k = Math.min(n, side.count);
  for (let i = 0; i < k; i++) out.push({ price: formatScaled(side.priceAt(i), ps), size: formatScaled(side.sizeAtLevel(i), ss) });
  return out;
}

/** Spread (ask - bid) and mid ((bid + ask) / 2, one more decimal so it stays exact), or nulls. */
function spreadMid(sb: SymbolBook): { spread: string | null; mid: string | null } {
  const b = sb.book;
  if (b.bids.count === 0 || b.asks.count === 0) return { spread: null, mid: null };
  const bid = b.bids.bestPrice();
  const ask = b.asks.bestPrice();
  const sum5 = (bid + ask) * 5;
  return {
    spread: formatScaled(ask - bid, b.priceScale),
    mid: Number.isSafeInteger(sum5) ? formatScaled(sum5, b.priceScale + 1) : null,
  };
}

function percentileOrNull(sb: SymbolBook, p: number): number | null {
  const v = sb.latencyPercentile(p);
  return Number.isNaN(v) ? null : v;
}

/**
 * One row of the symbols table. `nowMs` is the wall clock (epoch ms). `replay`: the exchange
 * times are a recording's, so receive - exchange is the recording's age, not a latency (null).
 */
export function symbolStatus(sb: SymbolBook, processName: string, nowMs: number, replay = false): SymbolStatus {
  const b = sb.book;
  const ps = b.priceScale;
  const ss = b.sizeScale;
  const last = sb.transitions[sb.transitions.length - 1];
  const i = sb.instrument;
  return {
    venue: i.venue,
    symbol: i.venueSymbol,
    normalized: i.symbol,
    base: i.base,
    quote: i.quote,
    kind: i.kind,
    state: sb.state,
    stateSinceMs: sb.stateSinceMs,
    stateCause: last?.cause ?? 'start',
    seq: sb.seq,
    sequenceLag: sb.sequenceLag(),
    updateAgeMs: sb.lastUpdateRecvNs === 0n ? null : Math.max(0, nowMs - Number(sb.lastUpdateRecvNs / 1_000_000n)),
    latencyP50Us: replay ? null : percentileOrNull(sb, 50),
    latencyP99Us: replay ? null : percentileOrNull(sb, 99),
    bestBid: b.bids.count ? formatScaled(b.bids.bestPrice(), ps) : null,
    bestBidSize: b.bids.count ? formatScaled(b.bids.bestSize(), ss) : null,
    bestAsk: b.asks.count ? formatScaled(b.asks.bestPrice(), ps) : null,
    bestAskSize: b.asks.count ? formatScaled(b.asks.bestSize(), ss) : null,
    spread: spreadMid(sb).spread,
    levels: b.levelCount(),
    trustBand: trustBandText(sb),
    counters: countersView(sb.counters),
    process: processName,
  };
}

/** Top `depth` levels per side, best first. */
export function bookView(sb: SymbolBook, depth: number, nowMs: number): BookView {
  const b = sb.book;
  const { spread, mid } = spreadMid(sb);
  return {
    venue: sb.instrument.venue,
    symbol: sb.instrument.venueSymbol,
    normalized: sb.instrument.symbol,
    state: sb.state,
    seq: sb.seq,
    tsMs: nowMs,
    bids: levels(b.bids, depth, b.priceScale, b.sizeScale),
    asks: levels(b.asks, depth, b.priceScale, b.sizeScale),
    trustBand: trustBandText(sb),
    spread,
    mid,
  };
}

export function tradeView(t: Trade): TradeView {
  return {
    venue: t.venue as VenueId,
    symbol: t.symbol,
    tradeId: t.tradeId,
    takerSide: t.takerSide,
    price: formatScaled(t.price, t.priceScale),
    size: formatScaled(t.size, t.sizeScale),
    exchTsMs: t.exchTsMs,
    recvTsMs: Number(t.recvTsNs / 1_000_000n),
  };
}
