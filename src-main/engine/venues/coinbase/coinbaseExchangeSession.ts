/**
 * Coinbase Exchange (formerly Pro / GDAX) legacy "ws-feed" session: `level2` / `level2_batch`
 * books, `matches` trades, `heartbeat`.
 *
 * Docs followed (venues.md section 8):
 * - https://docs.cdp.coinbase.com/exchange/websocket-feed/overview (subscribe within 5 s)
 * - https://docs.cdp.coinbase.com/exchange/websocket-feed/channels (`snapshot` then `l2update`
 *   with `changes: [side, price, size]`; `level2` needs authentication, `level2_batch` is the
 *   public 50 ms batched form with the same schema; `matches` side is the maker's side)
 * - https://docs.cdp.coinbase.com/exchange/websocket-feed/rate-limits
 *
 * Quirks carried here:
 * - No sequence number on L2 messages: integrity rests on the channel's guaranteed delivery, so
 *   no gap can be detected on the book itself. What can be checked is checked: the book never
 *   crosses after a complete message, sizes parse exactly, and after any reconnect the first
 *   `snapshot` replaces the book (updates before it are dropped).
 * - A size of "0" (often "0.00000000") removes the level.
 * - The `ticker` channel is not a cross-check: it is not sequenced against level2 (the 2021
 *   recording matches the rebuilt top 100 of 107 times, the rest is timing).
 * - `matches`/`last_match`: `side` is the MAKER order's side, so the taker is the opposite
 *   ("sell side indicates ... an up-tick"; tardis-node maps it the same way). `last_match` is the
 *   most recent trade before subscribing; both are deduplicated by `trade_id` per product.
 */
import type { AnomalyKind } from '../../../../src-shared/model/market.ts';
import type { ConnectionPlan, SessionContext, VenueSession } from '../venue.ts';
import { jsonFrame } from '../jsonFrame.ts';
import { emitTrade, takerSide } from '../tradeOut.ts';
import { crossedText } from '../crossedText.ts';
import { setLevels } from '../setLevels.ts';
import { RecentIds, rfc3339ToMs } from './coinbaseSession.ts';

/** Public (unauthenticated) channels subscribed live. */
export const EXCHANGE_CHANNELS = ['level2_batch', 'heartbeat', 'matches'] as const;

type Levels = [string, string][];
type Change = [string, string, string];

function isLevels(v: unknown): v is Levels {
  return Array.isArray(v) && v.every((l) => Array.isArray(l) && typeof l[0] === 'string' && typeof l[1] === 'string');
}

function isChanges(v: unknown): v is Change[] {
  return Array.isArray(v) && v.every((c) => Array.isArray(c) && typeof c[0] === 'string' && typeof c[1] === 'string' && typeof c[2] === 'string');
}

export class CoinbaseExchangeSession implements VenueSession {
  private readonly ctx: SessionContext;
  private readonly plan: ConnectionPlan;
  /** Products whose book waits for a (new) snapshot. */
  private readonly awaiting = new Set<string>();
  private readonly tradeIds = new RecentIds();

  constructor(ctx: SessionContext, plan: ConnectionPlan) {
    this.ctx = ctx;
    this.plan = plan;
  }

  onOpen(): void {
    const products = this.plan.venueSymbols;
    for (const p of products) this.awaiting.add(p);
    if (products.length > 0) this.ctx.send(JSON.stringify({ type: 'subscribe', product_ids: products, channels: [...EXCHANGE_CHANNELS] }));
  }

  onMessage(raw: string, recvTsNs: bigint): void {
    const m = jsonFrame(this.ctx, raw) as Record<string, unknown> | null | undefined;
    if (m === undefined || m === null || typeof m !== 'object') return;
    switch (m['type']) {
      case 'snapshot':
        return this.onBookSnapshot(m, recvTsNs);
      case 'l2update':
        return this.onUpdate(m, recvTsNs);
      case 'match':
      case 'last_match':
        return this.onMatch(m, recvTsNs);
      case 'error':
        this.ctx.notice('error', `venue error: ${String(m['message'])}${typeof m['reason'] === 'string' ? ` (${m['reason']})` : ''}`);
        return;
      default:
        // subscriptions, heartbeat, ticker: nothing to apply.
        return;
    }
  }

  private onBookSnapshot(m: Record<string, unknown>, recvTsNs: bigint): void {
    const product = m['product_id'];
    const sb = typeof product === 'string' ? this.ctx.book(product) : undefined;
    if (sb === undefined) return;
    sb.counters.messages++;
    sb.observe(recvTsNs, 0);
    const bids = m['bids'];
    const asks = m['asks'];
    if (!isLevels(bids) || !isLevels(asks)) {
      this.ctx.notice('warn', `snapshot for ${sb.symbol} without [price, size] string levels`, sb.symbol);
      return;
    }
    sb.book.clear();
    if (setLevels(sb, bids, asks) < 0) return;
    sb.book.markSnapshot('full');
    sb.counters.snapshots++;
    this.awaiting.delete(sb.symbol);
    if (sb.book.isCrossed()) {
      sb.anomaly('crossed-book', `snapshot: ${crossedText(sb)}`);
      return;
    }
    sb.transition('live', 'snapshot');
    sb.afterApply(bids.length + asks.length);
  }

  private onUpdate(m: Record<string, unknown>, recvTsNs: bigint): void {
    const product = m['product_id'];
    const sb = typeof product === 'string' ? this.ctx.book(product) : undefined;
    if (sb === undefined) return;
    sb.counters.messages++;
    const time = typeof m['time'] === 'string' ? rfc3339ToMs(m['time']) : Number.NaN;
    sb.observe(recvTsNs, Number.isNaN(time) ? 0 : time);
    if (this.awaiting.has(sb.symbol) || (sb.state !== 'live' && sb.state !== 'stale')) {
      sb.counters.droppedBeforeSnapshot++;
      return;
    }
    const changes = m['changes'];
    if (!isChanges(changes)) {
      sb.anomaly('invalid-price', `l2update without [side, price, size] string changes`);
      return;
    }
    for (const [side, px, qty] of changes) {
      if (side !== 'buy' && side !== 'sell') {
        sb.anomaly('invalid-price', `l2update change with side ${side}`);
        return;
      }
      if (!sb.setLevel(side === 'buy', px, qty)) return;
    }
    if (sb.book.isCrossed()) {
      sb.anomaly('crossed-book', `${crossedText(sb)} after l2update at ${String(m['time'])}`);
      return;
    }
    if (sb.state === 'stale') sb.transition('live', 'fresh data');
    sb.afterApply(changes.length);
  }

  private onMatch(m: Record<string, unknown>, recvTsNs: bigint): void {
    const product = m['product_id'];
    const sb = typeof product === 'string' ? this.ctx.book(product) : undefined;
    const id = m['trade_id'];
    if (sb === undefined || (typeof id !== 'number' && typeof id !== 'string') || typeof m['price'] !== 'string' || typeof m['size'] !== 'string') return;
    if (!this.tradeIds.add(sb.symbol, String(id))) return;
    const time = typeof m['time'] === 'string' ? rfc3339ToMs(m['time']) : Number.NaN;
    emitTrade(this.ctx, sb, recvTsNs, {
      priceText: m['price'],
      sizeText: m['size'],
      tradeId: String(id),
      // `side` is the maker's side: a resting sell was lifted by a buying taker.
      takerSide: takerSide(m['side'], 'sell', 'buy'),
      exchTsMs: Number.isNaN(time) ? 0 : time,
    });
  }

  /** Unsubscribe + subscribe the product's book channel: the venue answers with a new snapshot. */
  resync(venueSymbol: string, cause: AnomalyKind): void {
    const sb = this.ctx.book(venueSymbol);
    if (sb === undefined) return;
    if (sb.state !== 'resyncing') sb.transition('resyncing', cause, 'resubscribing for a new snapshot');
    this.awaiting.add(venueSymbol);
    this.ctx.send(JSON.stringify({ type: 'unsubscribe', product_ids: [venueSymbol], channels: ['level2_batch'] }));
    this.ctx.send(JSON.stringify({ type: 'subscribe', product_ids: [venueSymbol], channels: ['level2_batch'] }));
  }

  onClose(): void {
    for (const p of this.plan.venueSymbols) this.awaiting.add(p);
    for (const sb of this.ctx.books()) this.awaiting.add(sb.symbol);
  }
}
