/**
 * Coinbase Advanced Trade market-data session: `level2` books (arriving as `l2_data`),
 * `market_trades`, `heartbeats`.
 *
 * Docs followed (venues.md section 7):
 * - https://docs.cdp.coinbase.com/coinbase-app/advanced-trade-apis/websocket/websocket-overview
 *   (subscribe within 5 s; exactly one channel per subscribe message; unsubscribe has the same shape)
 * - https://docs.cdp.coinbase.com/coinbase-app/advanced-trade-apis/websocket/websocket-channels
 *   (channels close after 60-90 s without updates unless `heartbeats` is subscribed)
 * - https://docs.cdp.coinbase.com/api-reference/advanced-trade-api/websocket/level2
 *   (first event per product is a full-book snapshot; `new_quantity` is the new size, "0" removes)
 * - https://docs.cdp.coinbase.com/api-reference/advanced-trade-api/websocket/heartbeats
 *
 * Quirks carried here, not in a base class:
 * - `sequence_num` sits on the envelope and is ONE counter per connection shared by every
 *   channel (the 2026 recording runs 0 -> 1029 across subscriptions, candles, ticker,
 *   market_trades, l2_data and heartbeats without a hole). A jump therefore means "something was
 *   lost on this socket", whichever channel it belonged to: every book on the connection is
 *   tainted (`connectionAnomaly('gap')`) and level2 is resubscribed for all of its products in
 *   one unsubscribe + subscribe pair, which yields fresh snapshots. A repeated or older
 *   `sequence_num` is dropped (counted as duplicate/regress on the books it carries).
 * - Snapshots are the whole book (trust 'full', no depth cap). Updates for a product that is
 *   waiting for its (new) snapshot are dropped: the snapshot supersedes them.
 * - Several events (products) may share one envelope; each event is applied whole, then checked.
 * - No checksum exists; the `ticker` channel is not used as a cross-check because it is not
 *   sequenced against `l2_data` (its best bid/ask equals the rebuilt top in only 132 of 154 cases
 *   in the 2026 recording: timing skew between channels).
 * - `market_trades`: the first event is a snapshot of recent trades, later events are updates;
 *   trades are deduplicated by `trade_id` per product so that reconnects and the snapshot never
 *   print a trade twice. SIDE: venues.md section 7 leaves open whether `side` is the taker's or
 *   the maker's. The 2026 recording settles it: of the trades printing at an edge of the rebuilt
 *   book, every BUY (23) printed at or below the best bid and every SELL (48) at or above the
 *   best ask -- a BUY trade hits the bid, so `side` is the MAKER's side, as on the Exchange feed
 *   (section 8). The taker side is the opposite (tests/replay/coinbaseVerify.test.ts re-checks it).
 * - `-USDC` product ids (except USDT-USDC and EURC-USDC) are answered with the matching `-USD`
 *   product on market-data channels; events are routed back to the subscribed id.
 */
import type { AnomalyKind } from '../../../../src-shared/model/market.ts';
import type { ConnectionPlan, SessionContext, VenueSession } from '../venue.ts';
import { jsonFrame } from '../jsonFrame.ts';
import { emitTrade, takerSide } from '../tradeOut.ts';
import { crossedText } from '../crossedText.ts';
import type { SymbolBook } from '../../sync/symbolBook.ts';

/** "2026-08-09T21:05:48.483587501Z" -> epoch milliseconds (sub-millisecond digits dropped), NaN if malformed. */
export function rfc3339ToMs(s: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})$/.exec(s);
  if (!m) return Number.NaN;
  const ms = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  let t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), ms);
  const tz = m[8]!;
  if (tz !== 'Z') {
    const sign = tz[0] === '-' ? -1 : 1;
    const digits = tz.slice(1).replace(':', '');
    t -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return t;
}

/** Bounded set of recent trade ids per product (dedupe across the trade snapshot and reconnects). */
export class RecentIds {
  private readonly cap: number;
  private readonly byProduct = new Map<string, Set<string>>();

  constructor(cap = 2048) {
    this.cap = cap;
  }

  /** True the first time an id is seen for the product. */
  add(product: string, id: string): boolean {
    let set = this.byProduct.get(product);
    if (set === undefined) {
      set = new Set();
      this.byProduct.set(product, set);
    }
    if (set.has(id)) return false;
    set.add(id);
    if (set.size > this.cap) set.delete(set.values().next().value as string);
    return true;
  }
}

/** Channels subscribed on every connection, one subscribe message each. */
export const AT_CHANNELS = ['heartbeats', 'level2', 'market_trades'] as const;

interface L2Update {
  side?: unknown;
  price_level?: unknown;
  new_quantity?: unknown;
}

interface Envelope {
  channel?: unknown;
  timestamp?: unknown;
  sequence_num?: unknown;
  events?: unknown;
  type?: unknown;
  message?: unknown;
}

/** Products whose -USDC id is its own market (not an alias of -USD). */
const USDC_OWN_MARKETS = new Set(['USDT-USDC', 'EURC-USDC']);

export class CoinbaseSession implements VenueSession {
  private readonly ctx: SessionContext;
  private readonly plan: ConnectionPlan;
  /** Last `sequence_num` seen on this connection, -1 before the first envelope. */
  private lastSeq = -1;
  /** Products waiting for a (new) level2 snapshot. */
  private readonly awaiting = new Set<string>();
  /** Products whose level2 subscription must be renewed, collected during a connection-wide gap. */
  private readonly toResubscribe = new Set<string>();
  private batching = false;
  private readonly tradeIds = new RecentIds();
  /** Product id the venue answers with -> product id subscribed ("BTC-USD" -> "BTC-USDC"). */
  private readonly alias = new Map<string, string>();
  /** Connection-wide gaps seen (each tainted every book). */
  connectionGaps = 0;

  constructor(ctx: SessionContext, plan: ConnectionPlan) {
    this.ctx = ctx;
    this.plan = plan;
    const subscribed = new Set(plan.venueSymbols);
    for (const p of plan.venueSymbols) {
      if (p.endsWith('-USDC') && !USDC_OWN_MARKETS.has(p)) {
        const usd = `${p.slice(0, -'USDC'.length)}USD`;
        if (!subscribed.has(usd)) this.alias.set(usd, p);
      }
    }
  }

  onOpen(): void {
    const products = this.plan.venueSymbols;
    for (const p of products) this.awaiting.add(p);
    if (products.length === 0) return;
    // Heartbeats first: they keep the other channels open and make every second carry a
    // sequence_num, so a lost message is noticed within a second.
    for (const channel of AT_CHANNELS) this.ctx.send(JSON.stringify({ type: 'subscribe', product_ids: products, channel }));
  }

  private book(productId: string): SymbolBook | undefined {
    return this.ctx.book(this.alias.get(productId) ?? productId);
  }

  onMessage(raw: string, recvTsNs: bigint): void {
    const env = jsonFrame(this.ctx, raw) as Envelope | null | undefined;
    if (env === undefined || env === null || typeof env !== 'object') return;
    if (env.type === 'error') {
      this.ctx.notice('error', `venue error: ${typeof env.message === 'string' ? env.message : raw.slice(0, 200)}`);
      return;
    }
    const seq = env.sequence_num;
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq)) {
      this.ctx.notice('warn', `envelope without an integer sequence_num (channel ${String(env.channel)})`);
      return;
    }
    const events = Array.isArray(env.events) ? (env.events as Record<string, unknown>[]) : [];
    if (this.lastSeq >= 0 && seq <= this.lastSeq) {
      // Already seen on this connection: drop; the books it carries count it.
      if (env.channel === 'l2_data') {
        for (const e of events) {
          const sb = typeof e['product_id'] === 'string' ? this.book(e['product_id']) : undefined;
          sb?.anomaly(seq === this.lastSeq ? 'duplicate' : 'regress', `sequence_num ${seq} at or before ${this.lastSeq} on this connection`);
        }
      }
      return;
    }
    if (this.lastSeq >= 0 && seq !== this.lastSeq + 1) {
      const detail = `connection-wide sequence_num jumped from ${this.lastSeq} to ${seq} (channel ${String(env.channel)}): ${seq - this.lastSeq - 1} message(s) lost on this socket, every book on it resyncs`;
      this.connectionGap(detail);
    }
    this.lastSeq = seq;
    const exchTsMs = typeof env.timestamp === 'string' ? rfc3339ToMs(env.timestamp) : Number.NaN;
    if (env.channel === 'l2_data') {
      for (const e of events) this.onL2Event(e, seq, recvTsNs, Number.isNaN(exchTsMs) ? 0 : exchTsMs);
    } else if (env.channel === 'market_trades') {
      for (const e of events) this.onTradesEvent(e, recvTsNs);
    }
    // subscriptions, heartbeats, ticker, candles: only their sequence_num matters here.
  }

  /** Taint every book and renew level2 for all products of the connection with one pair of frames. */
  private connectionGap(detail: string): void {
    this.connectionGaps++;
    this.batching = true;
    try {
      this.ctx.connectionAnomaly('gap', detail);
    } finally {
      this.batching = false;
    }
    for (const sb of this.ctx.books()) this.toResubscribe.add(sb.symbol);
    this.flushResubscribe();
  }

  private onL2Event(e: Record<string, unknown>, seq: number, recvTsNs: bigint, exchTsMs: number): void {
    const product = e['product_id'];
    if (typeof product !== 'string') return;
    const sb = this.book(product);
    if (sb === undefined) return;
    sb.counters.messages++;
    sb.observe(recvTsNs, exchTsMs);
    if (seq > sb.lastSeenSeq) sb.lastSeenSeq = seq;
    const updates = Array.isArray(e['updates']) ? (e['updates'] as L2Update[]) : undefined;
    if (updates === undefined) {
      this.ctx.notice('warn', `l2_data event without updates for ${product}`, sb.symbol);
      return;
    }
    const type = e['type'];
    if (type === 'snapshot') {
      sb.book.clear();
      if (!this.applyUpdates(sb, updates)) return;
      sb.book.markSnapshot('full');
      sb.counters.snapshots++;
      this.awaiting.delete(sb.symbol);
      sb.seq = seq;
      if (sb.book.isCrossed()) {
        sb.anomaly('crossed-book', `snapshot at sequence_num ${seq}: ${crossedText(sb)}`);
        return;
      }
      sb.transition('live', 'snapshot', `sequence_num ${seq}`);
      sb.afterApply(updates.length);
      return;
    }
    if (type !== 'update') {
      this.ctx.notice('warn', `l2_data event of unknown type ${String(type)} for ${product}`, sb.symbol);
      return;
    }
    if (this.awaiting.has(sb.symbol) || (sb.state !== 'live' && sb.state !== 'stale')) {
      sb.counters.droppedBeforeSnapshot++;
      return;
    }
    if (!this.applyUpdates(sb, updates)) return;
    sb.seq = seq;
    if (sb.book.isCrossed()) {
      sb.anomaly('crossed-book', `${crossedText(sb)} after sequence_num ${seq}`);
      return;
    }
    if (sb.state === 'stale') sb.transition('live', 'fresh data');
    sb.afterApply(updates.length);
  }

  private applyUpdates(sb: SymbolBook, updates: L2Update[]): boolean {
    for (const u of updates) {
      const side = u.side;
      if ((side !== 'bid' && side !== 'offer') || typeof u.price_level !== 'string' || typeof u.new_quantity !== 'string') {
        sb.anomaly('invalid-price', `l2_data level without side/price_level/new_quantity strings: ${JSON.stringify(u).slice(0, 120)}`);
        return false;
      }
      if (!sb.setLevel(side === 'bid', u.price_level, u.new_quantity)) return false;
    }
    return true;
  }

  private onTradesEvent(e: Record<string, unknown>, recvTsNs: bigint): void {
    const trades = Array.isArray(e['trades']) ? (e['trades'] as Record<string, unknown>[]) : [];
    // The snapshot lists the most recent trade first: emit oldest first, like the updates.
    const ordered = e['type'] === 'snapshot' ? [...trades].reverse() : trades;
    for (const t of ordered) {
      const product = t['product_id'];
      const id = t['trade_id'];
      if (typeof product !== 'string' || typeof id !== 'string' || typeof t['price'] !== 'string' || typeof t['size'] !== 'string') continue;
      const sb = this.book(product);
      if (sb === undefined || !this.tradeIds.add(sb.symbol, id)) continue;
      const time = typeof t['time'] === 'string' ? rfc3339ToMs(t['time']) : Number.NaN;
      emitTrade(this.ctx, sb, recvTsNs, {
        priceText: t['price'],
        sizeText: t['size'],
        tradeId: id,
        // `side` is the maker's side (see the header): a BUY maker was hit by a selling taker.
        takerSide: takerSide(t['side'], 'SELL', 'BUY'),
        exchTsMs: Number.isNaN(time) ? 0 : time,
      });
    }
  }

  /**
   * Resubscribe level2 for one product (unsubscribe + subscribe yields a new snapshot). During a
   * connection-wide gap the products are collected and renewed together.
   */
  resync(venueSymbol: string, cause: AnomalyKind): void {
    const sb = this.ctx.book(venueSymbol);
    if (sb === undefined) return;
    if (sb.state !== 'resyncing') sb.transition('resyncing', cause, 'resubscribing level2 for a new snapshot');
    this.toResubscribe.add(venueSymbol);
    if (!this.batching) this.flushResubscribe();
  }

  private flushResubscribe(): void {
    if (this.toResubscribe.size === 0) return;
    const products = [...this.toResubscribe];
    this.toResubscribe.clear();
    for (const p of products) this.awaiting.add(p);
    this.ctx.send(JSON.stringify({ type: 'unsubscribe', product_ids: products, channel: 'level2' }));
    this.ctx.send(JSON.stringify({ type: 'subscribe', product_ids: products, channel: 'level2' }));
  }

  onClose(): void {
    this.lastSeq = -1;
    this.toResubscribe.clear();
    for (const p of this.plan.venueSymbols) this.awaiting.add(p);
    for (const sb of this.ctx.books()) this.awaiting.add(sb.symbol);
  }
}
