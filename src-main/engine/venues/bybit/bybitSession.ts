/**
 * Bybit v5 public session (spot or linear): `orderbook.{N}.{symbol}` books and `publicTrade`.
 *
 * Docs followed:
 * - https://bybit-exchange.github.io/docs/v5/websocket/public/orderbook
 * - https://bybit-exchange.github.io/docs/v5/ws/connect
 * - https://bybit-exchange.github.io/docs/v5/websocket/public/trade
 * - https://bybit-exchange.github.io/docs/v5/websocket/public/full-ob (the `u` rules stated there)
 *
 * Quirks carried here, not in a base class:
 * - The book arrives in-band: the first message after subscribe is a `snapshot`, then `delta`s.
 *   A later `snapshot` replaces the book (Bybit re-sends one after a problem on its side).
 * - Continuity: the orderbook.N page states no rule, but `u` rises by exactly 1 per message per
 *   topic (full-depth page: "u is consecutive"; every recording in ../shared/data/bybit). So a
 *   delta with `u != prev u + 1` is a gap -> unsubscribe + subscribe that topic for a new
 *   snapshot; `u == prev u` is a duplicate and `u < prev u` a regression (dropped, counted).
 * - `u == 1` is "snapshot after a service restart: overwrite the local book". It is a
 *   venue-reset, not a gap: the book is replaced in place, the chain restarts at 1, nothing is
 *   resubscribed, and a notice records it. A `u == 1` snapshot with both sides empty means the
 *   symbol has no book (delisting, before a pre-market auction): the book is `halted`, not broken.
 * - `seq` is the matching engine's cross sequence: not contiguous, but "smaller = earlier", so a
 *   delta whose `seq` goes backwards is dropped as a regression (the following delta then shows
 *   the `u` gap and the topic resyncs). Snapshots set a new reference.
 * - Level 1 (`orderbook.1`) is snapshot-only, and "if there is no change for 3 s, the snapshot is
 *   re-pushed with the same `u`". Those re-pushes (61 of 337 messages in the 2025 recording, every
 *   one with identical levels) are a refresh, not a duplicate: they keep the book fresh and are
 *   not re-applied. A same-`u` message whose levels differ contradicts the rule that `u` changes
 *   with every book change, so only that one is counted as a duplicate and dropped. No gap rule
 *   applies to level 1: every message is the whole book.
 * - Depth cap N = the topic's depth: the book holds the venue's window (trust 'window'). Bybit
 *   deletes levels that leave the window (the recordings never exceed N on any side before
 *   trimming), so the book is trimmed to N after each message and a side that exceeded N by more
 *   than a tenth raises a notice: evidence of missed deletes.
 * - No checksum exists: checksum counters stay at 0 (nothing is "not provided" per message).
 * - Keepalive `{"op":"ping"}` every 20 s; spot accepts at most 10 args per subscribe request.
 * - `publicTrade`: `S` is the taker side, `i` the trade id (UUID-like on linear, numeric on spot).
 */
import type { AnomalyKind } from '../../../../src-shared/model/market.ts';
import type { ConnectionPlan, SessionContext, VenueSession } from '../venue.ts';
import { jsonFrame } from '../jsonFrame.ts';
import { emitTrade, takerSide } from '../tradeOut.ts';
import { crossedText } from '../crossedText.ts';
import { setLevels } from '../setLevels.ts';
import { chunk } from '../venue.ts';
import type { SymbolBook } from '../../sync/symbolBook.ts';

export type BybitMarket = 'spot' | 'linear';

/** Args per subscribe request: spot allows 10; linear has no per-request cap (the 21 000-character
 * budget per connection bounds it), so one request per batch of 100 keeps frames small. */
const ARGS_PER_REQUEST: Record<BybitMarket, number> = { spot: 10, linear: 100 };

/** Keepalive cadence recommended by Bybit. */
export const PING_INTERVAL_MS = 20_000;

/** Topics subscribed per symbol. */
export function bybitTopics(venueSymbol: string, depth: number): string[] {
  return [`orderbook.${depth}.${venueSymbol}`, `publicTrade.${venueSymbol}`];
}

interface BookData {
  s?: unknown;
  b?: unknown;
  a?: unknown;
  u?: unknown;
  seq?: unknown;
}

interface BookMessage {
  topic: string;
  type?: unknown;
  ts?: unknown;
  cts?: unknown;
  data?: BookData;
}

/** Per-topic state beside the generic SymbolBook. */
interface TopicState {
  depth: number;
  /** No snapshot since subscribe / resync: deltas are dropped until one arrives. */
  awaitingSnapshot: boolean;
  /** `u` of the last applied message, -1 before the first. */
  lastU: number;
  /** `seq` of the last applied message, -1 before the first. */
  lastSeq: number;
  /** Level 1 only: the levels of the last applied snapshot, to tell a 3 s re-push from a conflict. */
  lastLevels: string;
  /** A depth-overflow notice was given since the last snapshot. */
  overflowNoticed: boolean;
  /** Level-1 re-pushes with the same `u` and levels. */
  refreshes: number;
  /** `u == 1` service-restart snapshots applied. */
  resets: number;
}

type Levels = [string, string][];

function isLevels(v: unknown): v is Levels {
  return Array.isArray(v) && v.every((l) => Array.isArray(l) && typeof l[0] === 'string' && typeof l[1] === 'string');
}

export class BybitSession implements VenueSession {
  private readonly ctx: SessionContext;
  private readonly plan: ConnectionPlan;
  private readonly market: BybitMarket;
  private readonly depth: number;
  private readonly topics = new Map<string, TopicState>();
  /** req_id -> args of subscribe requests waiting for their answer. */
  private readonly pending = new Map<string, string[]>();
  private nextReq = 1;

  readonly keepalive = {
    intervalMs: PING_INTERVAL_MS,
    frame: (): string => JSON.stringify({ req_id: `ping-${this.nextReq++}`, op: 'ping' }),
  };

  constructor(ctx: SessionContext, plan: ConnectionPlan, market: BybitMarket, depth: number) {
    this.ctx = ctx;
    this.plan = plan;
    this.market = market;
    this.depth = depth;
  }

  onOpen(): void {
    for (const s of this.plan.venueSymbols) this.topicState(s, this.depth).awaitingSnapshot = true;
    this.subscribe(this.plan.venueSymbols.flatMap((s) => bybitTopics(s, this.depth)));
  }

  /** Send subscribe requests honouring the per-request args cap. */
  private subscribe(args: string[]): void {
    for (const batch of chunk(args, ARGS_PER_REQUEST[this.market])) {
      const reqId = `sub-${this.nextReq++}`;
      this.pending.set(reqId, batch);
      this.ctx.send(JSON.stringify({ req_id: reqId, op: 'subscribe', args: batch }));
    }
  }

  private topicState(venueSymbol: string, depth: number): TopicState {
    let st = this.topics.get(venueSymbol);
    if (st === undefined) {
      st = { depth, awaitingSnapshot: true, lastU: -1, lastSeq: -1, lastLevels: '', overflowNoticed: false, refreshes: 0, resets: 0 };
      this.topics.set(venueSymbol, st);
    }
    return st;
  }

  /** Level-1 re-pushes seen for a symbol (the documented 3 s refresh). */
  refreshes(venueSymbol: string): number {
    return this.topics.get(venueSymbol)?.refreshes ?? 0;
  }

  /** `u == 1` service-restart snapshots applied for a symbol. */
  resets(venueSymbol: string): number {
    return this.topics.get(venueSymbol)?.resets ?? 0;
  }

  onMessage(raw: string, recvTsNs: bigint): void {
    const msg = jsonFrame(this.ctx, raw) as Record<string, unknown> | null | undefined;
    if (msg === undefined || msg === null || typeof msg !== 'object') return;
    const topic = msg['topic'];
    if (typeof topic === 'string') {
      if (topic.startsWith('orderbook.')) return this.onBook(msg as unknown as BookMessage, recvTsNs);
      if (topic.startsWith('publicTrade.')) return this.onTrades(msg['data'], recvTsNs);
      return; // tickers, kline, allLiquidation...: not book data
    }
    if (typeof msg['op'] === 'string') this.onControl(msg);
  }

  /** Subscribe/unsubscribe answers and pongs. */
  private onControl(msg: Record<string, unknown>): void {
    const op = msg['op'];
    const reqId = typeof msg['req_id'] === 'string' ? msg['req_id'] : '';
    const args = this.pending.get(reqId);
    if (reqId !== '') this.pending.delete(reqId);
    if (op !== 'subscribe' || msg['success'] !== false) return;
    const reason = typeof msg['ret_msg'] === 'string' ? msg['ret_msg'] : 'no reason given';
    this.ctx.notice('error', `subscribe rejected: ${reason}${args ? ` (args ${args.join(',')})` : ''}`);
    // A rejected topic will never deliver a book: mark it unavailable rather than resyncing into
    // the same rejection.
    for (const a of args ?? []) {
      const m = /^orderbook\.\d+\.(.+)$/.exec(a);
      const sb = m ? this.ctx.book(m[1]!) : undefined;
      if (sb !== undefined) sb.transition('halted', 'subscribe-error', reason);
    }
  }

  private onBook(msg: BookMessage, recvTsNs: bigint): void {
    const parts = msg.topic.split('.');
    const depth = Number(parts[1]);
    const symbol = parts.slice(2).join('.');
    const d = msg.data;
    const sb = this.ctx.book(symbol);
    if (sb === undefined) return;
    if (d === undefined || !Number.isSafeInteger(depth) || depth <= 0) {
      this.ctx.notice('warn', `book message without data or depth on ${msg.topic}`, symbol);
      return;
    }
    const st = this.topicState(symbol, depth);
    if (st.depth !== depth) {
      // One book per symbol per connection: a second depth of the same symbol would overwrite it.
      this.ctx.notice('warn', `${msg.topic} ignored: this connection keeps ${symbol} at depth ${st.depth}`, symbol);
      return;
    }
    sb.counters.messages++;
    sb.observe(recvTsNs, typeof msg.ts === 'number' ? msg.ts : 0);
    const u = d.u;
    const seq = d.seq;
    if (typeof u !== 'number' || !Number.isSafeInteger(u) || !isLevels(d.b) || !isLevels(d.a)) {
      this.ctx.notice('warn', `${msg.topic}: message without integer u or [price, size] string levels`, symbol);
      return;
    }
    const seqNum = typeof seq === 'number' && Number.isSafeInteger(seq) ? seq : -1;
    if (u > sb.lastSeenSeq || u === 1) sb.lastSeenSeq = u;
    sb.book.depthCap = depth;
    if (msg.type === 'snapshot') {
      if (depth === 1) this.onLevel1(sb, st, u, seqNum, d.b, d.a);
      else this.loadSnapshot(sb, st, u, seqNum, d.b, d.a);
      return;
    }
    if (msg.type !== 'delta') {
      this.ctx.notice('warn', `${msg.topic}: unknown message type ${String(msg.type)}`, symbol);
      return;
    }
    this.onDelta(sb, st, u, seqNum, d.b, d.a);
  }

  private onDelta(sb: SymbolBook, st: TopicState, u: number, seq: number, bids: Levels, asks: Levels): void {
    if (st.awaitingSnapshot) {
      // Deltas of a subscription that is being replaced; the coming snapshot contains them.
      sb.counters.droppedBeforeSnapshot++;
      return;
    }
    if (u === 1) {
      // Restarts arrive as snapshots; a delta restarting the chain cannot rebuild the book.
      sb.anomaly('venue-reset', `delta with u = 1 after u ${st.lastU}: service restart without a snapshot`);
      return;
    }
    if (u <= st.lastU) {
      sb.anomaly(u === st.lastU ? 'duplicate' : 'regress', `delta u ${u} at or before applied u ${st.lastU}`);
      return;
    }
    if (u !== st.lastU + 1) {
      sb.anomaly('gap', `expected u = ${st.lastU + 1}, got u ${u}`);
      return;
    }
    if (seq >= 0 && seq < st.lastSeq) {
      sb.anomaly('regress', `delta u ${u}: seq ${seq} before applied seq ${st.lastSeq}`);
      return;
    }
    const n = setLevels(sb, bids, asks);
    if (n < 0) return;
    this.checkOverflow(sb, st);
    st.lastU = u;
    if (seq >= 0) st.lastSeq = seq;
    sb.seq = u;
    if (sb.book.isCrossed()) {
      sb.anomaly('crossed-book', `${crossedText(sb)} after u ${u}`);
      return;
    }
    if (sb.state === 'stale' || (sb.state === 'halted' && sb.book.levelCount() > 0)) sb.transition('live', 'fresh data', `u ${u}`);
    sb.afterApply(n);
  }

  /** Replace the book with an orderbook.N snapshot (N > 1). */
  private loadSnapshot(sb: SymbolBook, st: TopicState, u: number, seq: number, bids: Levels, asks: Levels): void {
    const restart = u === 1 && st.lastU >= 0;
    if (!this.replaceBook(sb, bids, asks)) return;
    sb.counters.snapshots++;
    st.awaitingSnapshot = false;
    st.overflowNoticed = false;
    this.checkOverflow(sb, st);
    this.settle(sb, st, u, seq, restart, bids.length + asks.length);
  }

  /** Level 1: every message is the whole book; the same `u` again is the 3 s re-push. */
  private onLevel1(sb: SymbolBook, st: TopicState, u: number, seq: number, bids: Levels, asks: Levels): void {
    const levels = JSON.stringify([bids, asks]);
    if (st.lastU >= 0 && u !== 1 && !st.awaitingSnapshot) {
      if (u < st.lastU) {
        sb.anomaly('regress', `level-1 snapshot u ${u} before applied u ${st.lastU}`);
        return;
      }
      if (seq >= 0 && seq < st.lastSeq) {
        sb.anomaly('regress', `level-1 snapshot u ${u}: seq ${seq} before applied seq ${st.lastSeq}`);
        return;
      }
      if (u === st.lastU) {
        if (levels === st.lastLevels) {
          st.refreshes++;
          if (seq >= 0) st.lastSeq = seq;
          if (sb.state === 'stale') sb.transition('live', 'level-1 refresh', `u ${u}`);
          return;
        }
        sb.anomaly('duplicate', `level-1 snapshot repeats u ${u} with different levels`);
        return;
      }
    }
    const restart = u === 1 && st.lastU >= 0;
    if (!this.replaceBook(sb, bids, asks)) return;
    sb.counters.snapshots++;
    st.awaitingSnapshot = false;
    st.lastLevels = levels;
    this.settle(sb, st, u, seq, restart, bids.length + asks.length);
  }

  /** Clear and load both sides; false when a level was unusable (the anomaly is already raised). */
  private replaceBook(sb: SymbolBook, bids: Levels, asks: Levels): boolean {
    sb.book.clear();
    if (setLevels(sb, bids, asks) < 0) return false;
    sb.book.markSnapshot('window');
    return true;
  }

  /** After a snapshot replaced the book: ids, restart bookkeeping, state, publish. */
  private settle(sb: SymbolBook, st: TopicState, u: number, seq: number, restart: boolean, n: number): void {
    st.lastU = u;
    st.lastSeq = seq;
    sb.seq = u;
    if (sb.book.isCrossed()) {
      sb.anomaly('crossed-book', `snapshot u ${u}: ${crossedText(sb)}`);
      return;
    }
    if (restart) {
      st.resets++;
      sb.transition('syncing', 'venue-reset', 'u = 1: service restart, book overwritten');
      this.ctx.notice('warn', 'u = 1: Bybit service restart, book overwritten by the new snapshot (venue-reset, not a gap)', sb.symbol);
    }
    if (u === 1 && sb.book.levelCount() === 0) {
      // Delisting or pre-market auction: the venue says there is no book.
      sb.transition('halted', 'venue-reset', 'u = 1 with empty sides: no book on the venue');
    } else {
      sb.transition('live', 'snapshot', `u ${u}`);
    }
    sb.afterApply(n);
  }

  /** Notice (once per snapshot) when a side grew well past the window before trimming. */
  private checkOverflow(sb: SymbolBook, st: TopicState): void {
    if (st.depth <= 1 || st.overflowNoticed) return;
    const limit = st.depth + Math.max(1, Math.floor(st.depth / 10));
    const bids = sb.book.bids.count;
    const asks = sb.book.asks.count;
    if (bids <= limit && asks <= limit) return;
    st.overflowNoticed = true;
    this.ctx.notice('warn', `book exceeds its ${st.depth}-level window (${bids} bids, ${asks} asks before trimming): Bybit deletes levels leaving the window, so deletes were probably missed`, sb.symbol);
  }

  private onTrades(data: unknown, recvTsNs: bigint): void {
    if (!Array.isArray(data)) return;
    for (const t of data as Record<string, unknown>[]) {
      const sb = typeof t['s'] === 'string' ? this.ctx.book(t['s']) : undefined;
      if (sb === undefined || typeof t['p'] !== 'string' || typeof t['v'] !== 'string') continue;
      emitTrade(this.ctx, sb, recvTsNs, {
        priceText: t['p'],
        sizeText: t['v'],
        tradeId: String(t['i']),
        // `S` is the taker's side (Buy = the aggressor bought).
        takerSide: takerSide(t['S'], 'Buy', 'Sell'),
        exchTsMs: typeof t['T'] === 'number' ? t['T'] : 0,
      });
    }
  }

  /** Unsubscribe and subscribe the book topic again: Bybit answers with a fresh snapshot. */
  resync(venueSymbol: string, cause: AnomalyKind): void {
    const sb = this.ctx.book(venueSymbol);
    if (sb === undefined) return;
    const st = this.topicState(venueSymbol, this.depth);
    st.awaitingSnapshot = true;
    st.lastU = -1;
    st.lastSeq = -1;
    st.lastLevels = '';
    if (sb.state !== 'resyncing') sb.transition('resyncing', cause, 'resubscribing for a new snapshot');
    const topic = `orderbook.${st.depth}.${venueSymbol}`;
    this.ctx.send(JSON.stringify({ req_id: `unsub-${this.nextReq++}`, op: 'unsubscribe', args: [topic] }));
    this.subscribe([topic]);
  }

  onClose(): void {
    for (const st of this.topics.values()) {
      st.awaitingSnapshot = true;
      st.lastU = -1;
      st.lastSeq = -1;
      st.lastLevels = '';
    }
    this.pending.clear();
  }
}
