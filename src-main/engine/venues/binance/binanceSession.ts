/**
 * Binance spot / USD-M / COIN-M diff-depth session.
 *
 * Docs followed:
 * - Spot: https://github.com/binance/binance-spot-api-docs/blob/master/web-socket-streams.md
 *   ("How to manage a local order book correctly", text corrected 2025-11-12: bridge is
 *   U <= lastUpdateId + 1 <= u) and rest-api.md ("Order book" weights, 429/418 + Retry-After).
 * - USD-M: https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams/How-to-manage-a-local-order-book-correctly
 *   (drop u < lastUpdateId, first event U <= lastUpdateId <= u, then pu == previous u).
 * - COIN-M: https://developers.binance.com/docs/derivatives/coin-margined-futures/websocket-market-streams/How-to-manage-a-local-order-book-correctly
 *
 * Quirks carried here, not in a base class:
 * - the REST snapshot usually arrives after the first diffs: buffer regardless of subscription
 *   ack (ccxt notes diffs can precede the ack);
 * - futures ids are not consecutive between events: only `pu` proves continuity;
 * - no checksum: `bookTicker` shares the depth id space, so a ticker whose `u` equals a diff's
 *   final `u` must show exactly the rebuilt best bid/ask (the cross-check);
 * - server pings every 20 s (spot) / 3 min (futures) are answered by the WebSocket layer (pong);
 * - `serverShutdown` (`{"e":"serverShutdown","E":...}`, stream `!serverShutdown`) announces a
 *   maintenance disconnect: the session asks its context for a new socket at once.
 */
import type { AnomalyKind } from '../../../../src-shared/model/market.ts';
import { parseScaled } from '../../../../src-shared/model/decimal.ts';
import { RecentText, scanUint, valueIndex } from '../../../../src-shared/model/jsonScan.ts';
import type { SessionContext, VenueSession } from '../venue.ts';
import { resyncPriority } from '../venue.ts';
import { jsonFrame } from '../jsonFrame.ts';
import { emitTrade } from '../tradeOut.ts';
import { setLevels } from '../setLevels.ts';
import type { SymbolBook } from '../../sync/symbolBook.ts';
import { FUTURES_STYLE_RULES, RestAligned, SPOT_STYLE_RULES } from '../../sync/restAligned.ts';
import type { IdRange } from '../../sync/restAligned.ts';
import { TopRing } from './topRing.ts';
import { DepthHeader, scanDepthHeader } from './depthHeader.ts';
import { frameBytes } from '../../sync/frameBytes.ts';
import type { TopAfter } from './topRing.ts';

export type BinanceMarket = 'spot' | 'usdm' | 'coinm';

/** A diff kept as its raw frame plus the offset of its bid array (no copies); asks follow it. */
interface DepthPayload {
  raw: string;
  b: number;
}

interface Ticker {
  b: string;
  B: string;
  a: string;
  A: string;
}

/** Per-symbol Binance state beside the generic SymbolBook. */
interface SymbolState {
  aligned: RestAligned<DepthPayload>;
  /** Best bid/ask after each recently applied diff, keyed by its final id `u`. */
  tops: TopRing;
  /** bookTickers whose `u` is ahead of the book, waiting for the diff with that final id. */
  pendingTickers: Map<number, Ticker>;
}

const TOPS_KEPT = 256;
const PENDING_TICKERS_KEPT = 256;

/** Streams subscribed per symbol. */
export function binanceStreams(market: BinanceMarket, venueSymbol: string): string[] {
  const s = venueSymbol.toLowerCase();
  // Spot @depth@100ms; futures @depth@0ms is not public on every host, @100ms is the documented fast one.
  const trade = market === 'spot' ? `${s}@trade` : `${s}@aggTrade`;
  return [`${s}@depth@100ms`, `${s}@bookTicker`, trade];
}

export class BinanceSession implements VenueSession {
  private readonly ctx: SessionContext;
  private readonly market: BinanceMarket;
  private readonly states = new Map<string, SymbolState>();
  private nextId = 1;

  /** The connection's streams are in its URL (combined stream): the session needs no plan. */
  constructor(ctx: SessionContext, market: BinanceMarket) {
    this.ctx = ctx;
    this.market = market;
  }

  onOpen(): void {
    // The plan's URL already names every stream (combined stream); nothing to send. Live
    // subscription changes go through SUBSCRIBE frames (`subscribeFrame`).
  }

  /** SUBSCRIBE frame for symbols added to a running connection. */
  subscribeFrame(venueSymbols: string[]): string {
    const params = venueSymbols.flatMap((s) => binanceStreams(this.market, s));
    return JSON.stringify({ method: 'SUBSCRIBE', params, id: this.nextId++ });
  }

  private state(sb: SymbolBook): SymbolState {
    let st = this.states.get(sb.symbol);
    if (st === undefined) {
      const rules = this.market === 'spot' ? SPOT_STYLE_RULES : FUTURES_STYLE_RULES;
      st = {
        aligned: new RestAligned<DepthPayload>(sb, rules, {
          apply: (b, p, recvTsNs) => this.applyLevels(b, p, recvTsNs),
          requestSnapshot: (b, priority) => this.ctx.requestSnapshot(b.symbol, priority),
          applied: (b, ids) => this.recordTop(b, ids.last),
        }),
        tops: new TopRing(TOPS_KEPT),
        pendingTickers: new Map(),
      };
      this.states.set(sb.symbol, st);
    }
    return st;
  }

  onMessage(raw: string, recvTsNs: bigint): void {
    // Hot path: depth diffs are scanned in place (fixed, documented layout; keys unique).
    if (raw.includes('"depthUpdate"') && this.scanDepth(raw, recvTsNs)) return;
    type Msg = { stream?: string; data?: Record<string, unknown>; result?: unknown; id?: unknown; error?: { msg?: string } } & Record<string, unknown>;
    const msg = jsonFrame(this.ctx, raw) as Msg | undefined;
    if (msg === undefined) return;
    const data = (msg.data ?? msg) as Record<string, unknown>;
    const e = data['e'];
    if (e === 'depthUpdate') return this.onDepth(data, recvTsNs);
    if (e === 'trade' || e === 'aggTrade') return this.onTrade(data, recvTsNs);
    if ((e === undefined || e === 'bookTicker') && typeof data['u'] === 'number' && typeof data['b'] === 'string') return this.onTicker(data);
    if (e === 'serverShutdown') {
      // web-socket-streams.md: sent before the server is shut down for maintenance; reconnect
      // now rather than be cut (venues.md section 3). The books resync on the new socket.
      this.ctx.notice('warn', 'venue announced serverShutdown: reconnecting');
      this.ctx.reconnect?.('venue announced serverShutdown');
      return;
    }
    if (msg.error !== undefined) {
      this.ctx.notice('error', `venue error: ${msg.error.msg ?? JSON.stringify(msg.error)}`);
      return;
    }
    // {"result":null,"id":N} subscription acks and other control frames need nothing.
  }

  /** Scan a depthUpdate frame in place. Returns false when the layout is not the expected one. */
  private scanDepth(raw: string, recvTsNs: bigint): boolean {
    const bytes = frameBytes(raw);
    const h = this.header;
    if (bytes !== null && scanDepthHeader(bytes, h)) {
      const sb = this.ctx.book(this.symbols.slice(raw, h.symStart, h.symEnd));
      if (sb === undefined) return true;
      sb.observe(recvTsNs, h.eventMs);
      const ids: IdRange = { first: h.first, last: h.last, prev: this.market === 'spot' ? -1 : h.prev };
      this.state(sb).aligned.onDiff(ids, { raw, b: h.bids }, recvTsNs);
      return true;
    }
    // Documented key order: e, E, (T), s, (ps), U, u, (pu), b, a. Each search starts where the
    // previous key was found, so the frame is scanned about once.
    const eAt = valueIndex(raw, '"E":');
    const sAt = valueIndex(raw, '"s":', eAt < 0 ? 0 : eAt);
    const symbol = sAt < 0 ? undefined : this.symbols.quoted(raw, sAt);
    const uAt = valueIndex(raw, '"U":');
    const first = scanUint(raw, '"U":', uAt - 4);
    const last = scanUint(raw, '"u":', uAt);
    const b = valueIndex(raw, '"b":', uAt);
    if (symbol === undefined || uAt < 0 || first < 0 || last < 0 || b < 0) return false;
    const sb = this.ctx.book(symbol);
    if (sb === undefined) return true;
    sb.observe(recvTsNs, Math.max(0, scanUint(raw, '"E":', eAt - 4)));
    const ids: IdRange = { first, last, prev: this.market === 'spot' ? -1 : scanUint(raw, '"pu":', uAt) };
    this.state(sb).aligned.onDiff(ids, { raw, b }, recvTsNs);
    return true;
  }

  /** Symbols of scanned frames (the previous one compared in place: no new string to hash). */
  private readonly symbols = new RecentText();
  private readonly header = new DepthHeader();

  /** depthUpdate that did not scan (unexpected layout): same handling from the parsed object. */
  private onDepth(d: Record<string, unknown>, recvTsNs: bigint): void {
    const sb = this.ctx.book(String(d['s']));
    if (sb === undefined) return;
    sb.observe(recvTsNs, typeof d['E'] === 'number' ? d['E'] : 0);
    const ids: IdRange = {
      first: d['U'] as number,
      last: d['u'] as number,
      prev: typeof d['pu'] === 'number' ? d['pu'] : -1,
    };
    if (!Number.isSafeInteger(ids.first) || !Number.isSafeInteger(ids.last) || !Array.isArray(d['b']) || !Array.isArray(d['a'])) {
      this.ctx.notice('warn', 'depthUpdate without U/u ids or b/a arrays', sb.symbol);
      return;
    }
    // Re-render the two arrays compactly so the diff can be buffered in the same form.
    const raw = `{"b":${JSON.stringify(d['b'])},"a":${JSON.stringify(d['a'])}}`;
    this.state(sb).aligned.onDiff(ids, { raw, b: 5 }, recvTsNs);
  }

  private applyLevels(sb: SymbolBook, p: DepthPayload, _recvTsNs: bigint): number {
    const raw = p.raw;
    const bEnd = sb.applyLevelPairs(true, raw, p.b);
    if (bEnd < 0) return sb.state === 'resyncing' ? -1 : this.corrupt(sb);
    const n = sb.pairsApplied;
    // The ask array follows the bids directly in every frame seen; search only otherwise.
    const a = raw.startsWith(',"a":', bEnd) ? bEnd + 5 : valueIndex(raw, '"a":', bEnd);
    if (a < 0 || sb.applyLevelPairs(false, raw, a) < 0) return sb.state === 'resyncing' ? -1 : this.corrupt(sb);
    return n + sb.pairsApplied;
  }

  /** A diff whose level arrays do not parse: the book can no longer be trusted. */
  private corrupt(sb: SymbolBook): number {
    sb.anomaly('invalid-price', 'depthUpdate level arrays do not parse');
    return -1;
  }

  private onTicker(d: Record<string, unknown>): void {
    const sb = this.ctx.book(String(d['s']));
    if (sb === undefined || (sb.state !== 'live' && sb.state !== 'syncing')) return;
    const st = this.state(sb);
    const u = d['u'] as number;
    const t = d as unknown as Ticker;
    const top = st.tops.get(u);
    if (top !== undefined) {
      this.compare(sb, u, top, t);
      return;
    }
    if (u > sb.seq) {
      st.pendingTickers.set(u, t);
      if (st.pendingTickers.size > PENDING_TICKERS_KEPT) {
        const oldest = st.pendingTickers.keys().next().value as number;
        st.pendingTickers.delete(oldest);
      }
    }
    // u <= seq and not a diff's final id: the ticker reflects a state between two diffs; no check.
  }

  private compare(sb: SymbolBook, u: number, top: TopAfter, t: Ticker): void {
    const ps = top.priceScale;
    const ss = top.sizeScale;
    const ok =
      parseScaled(t.b, ps) === top.bidPrice &&
      parseScaled(t.B, ss) === top.bidSize &&
      parseScaled(t.a, ps) === top.askPrice &&
      parseScaled(t.A, ss) === top.askSize;
    this.ctx.crossCheck(sb, ok, ok ? `u ${u}` : `u ${u}: bookTicker ${t.b}@${t.B} / ${t.a}@${t.A} vs book ${top.bidPrice}@${top.bidSize} / ${top.askPrice}@${top.askSize}`);
  }

  private onTrade(d: Record<string, unknown>, recvTsNs: bigint): void {
    const sb = this.ctx.book(String(d['s']));
    if (sb === undefined) return;
    emitTrade(this.ctx, sb, recvTsNs, {
      priceText: String(d['p']),
      sizeText: String(d['q']),
      tradeId: String(d['e'] === 'trade' ? d['t'] : d['a']),
      // m = "is the buyer the market maker": true means the taker sold.
      takerSide: d['m'] === true ? 'sell' : 'buy',
      exchTsMs: typeof d['T'] === 'number' ? d['T'] : 0,
    });
  }

  onSnapshot(venueSymbol: string, body: string, _recvTsNs: bigint): void {
    const sb = this.ctx.book(venueSymbol);
    if (sb === undefined) return;
    const st = this.state(sb);
    let snap: { lastUpdateId?: number; bids?: [string, string][]; asks?: [string, string][]; code?: number; msg?: string };
    try {
      snap = JSON.parse(body);
    } catch {
      this.ctx.notice('error', `snapshot for ${venueSymbol} is not JSON`, venueSymbol);
      st.aligned.snapshotFailed();
      return;
    }
    if (typeof snap.lastUpdateId !== 'number' || !Array.isArray(snap.bids) || !Array.isArray(snap.asks)) {
      this.ctx.notice('error', `snapshot for ${venueSymbol} has no lastUpdateId/bids/asks${snap.msg ? `: ${snap.msg}` : ''}`, venueSymbol);
      st.aligned.snapshotFailed();
      return;
    }
    const { lastUpdateId, bids, asks } = snap;
    const depth = Math.max(bids.length, asks.length);
    st.tops.clear();
    st.aligned.onSnapshot((b) => (setLevels(b, bids, asks) < 0 ? -1 : lastUpdateId), depth);
  }

  resync(venueSymbol: string, cause: AnomalyKind): void {
    const sb = this.ctx.book(venueSymbol);
    if (sb === undefined) return;
    const st = this.state(sb);
    st.aligned.reset();
    st.tops.clear();
    st.pendingTickers.clear();
    st.aligned.askSnapshot(resyncPriority(cause));
  }

  onClose(): void {
    for (const st of this.states.values()) {
      st.aligned.reset();
      st.tops.clear();
      st.pendingTickers.clear();
    }
  }

  /** After a diff with final id `u` was applied: remember the top and settle a waiting ticker. */
  private recordTop(sb: SymbolBook, u: number): void {
    const st = this.state(sb);
    st.tops.record(u, sb.book);
    if (st.pendingTickers.size === 0) return;
    const t = st.pendingTickers.get(u);
    if (t !== undefined) {
      st.pendingTickers.delete(u);
      this.compare(sb, u, st.tops.get(u)!, t);
    }
    for (const k of st.pendingTickers.keys()) {
      if (k < u) st.pendingTickers.delete(k);
      else break;
    }
  }
}
