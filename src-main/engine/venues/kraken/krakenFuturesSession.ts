/**
 * Kraken Futures WebSocket v1 session (`wss://futures.kraken.com/ws/v1`): `book` with a per-product
 * `seq`, `trade`, `heartbeat`.
 *
 * Docs followed (venues.md section 9, "Kraken Futures"):
 * - https://docs.kraken.com/api/docs/futures-api/websocket/book (subscribe
 *   `{"event":"subscribe","feed":"book","product_ids":[...]}`, `book_snapshot`, single-level
 *   deltas, `subscribed`/`subscribed_failed`, error "Invalid product id")
 * - https://docs.kraken.com/api/docs/futures-api/websocket/trade (uid, side, seq, time)
 * - https://docs.kraken.com/api/docs/futures-api/websocket/heartbeat
 * - https://support.kraken.com/articles/360022635632-subscriptions-websockets-api-derivatives
 *   ("make a ping request at least every 60 seconds"; the reference client
 *   github.com/CryptoFacilities/WebSocket-v1-Python sends WebSocket ping frames every 30 s)
 *
 * Quirks carried here:
 * - `book_snapshot {product_id, timestamp, seq, tickSize, bids:[{price, qty}], asks}` replaces the
 *   book; then every delta `{feed:"book", product_id, side:"buy"|"sell", seq, price, qty,
 *   timestamp}` sets one level (qty 0 deletes). The book is the whole book, not a window.
 * - Continuity: `seq` counts the messages of one product's subscription; a delta applies iff its
 *   seq is the last applied + 1 (the first delta follows the snapshot's seq: every product of the
 *   2021 recording shows it). Equal = duplicate, lower = regress: dropped. Higher = gap: that
 *   product alone is unsubscribed and subscribed again for a fresh snapshot.
 * - Prices and quantities are JSON numbers ("qty":20108.0): decoded from their source text
 *   (parseJsonExact), never through a double.
 * - No checksum. `ticker_lite` (not subscribed live) carries the best bid/ask; when a recording has
 *   it, its prices are compared with the rebuilt book as a cross-check. It is not sequenced with
 *   the book, so it is only a cross-check, never a resync trigger.
 * - Keepalive: the venue wants a client request at least every 60 s. The connection sends
 *   WebSocket pings every 30 s for it (`limits.pingIntervalMs`, as the reference client does); the
 *   heartbeat feed subscribed on open keeps quiet connections fresh.
 * - Trades: `side` is the taker side ("the classification of the taker side"), `uid` the trade id;
 *   the `trade_snapshot` sent on subscribing is history and is not published.
 */
import type { AnomalyKind } from '../../../../src-shared/model/market.ts';
import { asArray, asSafeInteger, asText } from '../../../../src-shared/model/jsonExact.ts';
import type { ExactJson, ExactObject } from '../../../../src-shared/model/jsonExact.ts';
import type { ConnectionPlan, SessionContext, VenueSession } from '../venue.ts';
import { exactObjectFrame } from '../jsonFrame.ts';
import { krakenLevelTexts } from './krakenLevelTexts.ts';
import { emitTrade, takerSide } from '../tradeOut.ts';
import { resubscribe } from '../resubscribe.ts';
import type { SymbolBook } from '../../sync/symbolBook.ts';
import { formatScaled } from '../../../../src-shared/model/decimal.ts';

/** The heartbeat subscription, sent on open: a frame every few seconds even when books are quiet. */
const HEARTBEAT_SUBSCRIBE = '{"event":"subscribe","feed":"heartbeat"}';

export type KrakenFuturesContinuity = 'ok' | 'duplicate' | 'regress' | 'gap';

/** The `seq` rule for a delta after the last applied seq of its product. */
export function krakenFuturesContinuity(seq: number, lastSeq: number): KrakenFuturesContinuity {
  if (seq === lastSeq + 1) return 'ok';
  if (seq === lastSeq) return 'duplicate';
  if (seq < lastSeq) return 'regress';
  return 'gap';
}

export class KrakenFuturesSession implements VenueSession {
  private readonly ctx: SessionContext;
  private readonly plan: ConnectionPlan;

  constructor(ctx: SessionContext, plan: ConnectionPlan) {
    this.ctx = ctx;
    this.plan = plan;
  }

  onOpen(): void {
    const product_ids = this.plan.venueSymbols;
    this.ctx.send(HEARTBEAT_SUBSCRIBE);
    if (product_ids.length === 0) return;
    this.ctx.send(JSON.stringify({ event: 'subscribe', feed: 'book', product_ids }));
    this.ctx.send(JSON.stringify({ event: 'subscribe', feed: 'trade', product_ids }));
  }

  onMessage(raw: string, recvTsNs: bigint): void {
    const msg = exactObjectFrame(this.ctx, raw);
    if (msg === undefined) return;
    const event = asText(msg['event']);
    if (event !== undefined) return this.onEvent(event, msg);
    switch (asText(msg['feed'])) {
      case 'book':
        return this.onDelta(msg, recvTsNs);
      case 'book_snapshot':
        return this.onBookSnapshot(msg, recvTsNs);
      case 'trade':
        return this.onTrade(msg, recvTsNs);
      case 'ticker_lite':
        return this.onTicker(msg);
      case 'heartbeat':
      case 'trade_snapshot':
        return;
      default:
        // ticker and other feeds: nothing the book needs.
        return;
    }
  }

  private onEvent(event: string, msg: ExactObject): void {
    const feed = asText(msg['feed']) ?? '';
    const products = (asArray(msg['product_ids']) ?? []).map((p) => asText(p) ?? '');
    switch (event) {
      case 'info':
        this.ctx.notice('info', `server info version ${asText(msg['version']) ?? '?'}`);
        return;
      case 'subscribed':
      case 'unsubscribed':
        for (const p of products.length ? products : ['']) this.ctx.notice('info', `${event} ${feed}`, p || undefined);
        return;
      case 'subscribed_failed':
      case 'unsubscribed_failed':
        for (const p of products.length ? products : ['']) {
          this.ctx.notice('error', `${event} ${feed}`, p || undefined);
          if (event === 'subscribed_failed' && feed === 'book' && p) this.ctx.book(p)?.anomaly('subscribe-error', `${event} ${feed}`);
        }
        return;
      case 'error':
        // {"event":"error","message":"Invalid product id"} names no product.
        this.ctx.notice('error', `venue error: ${asText(msg['message']) ?? '?'}`);
        return;
      case 'alert':
        this.ctx.notice('warn', `venue alert: ${asText(msg['message']) ?? '?'}`);
        return;
      default:
        this.ctx.notice('info', `event ${event}`);
    }
  }

  private onBookSnapshot(msg: ExactObject, recvTsNs: bigint): void {
    const product = asText(msg['product_id']);
    const sb = product === undefined ? undefined : this.ctx.book(product);
    if (sb === undefined) return;
    sb.counters.messages++;
    const seq = asSafeInteger(msg['seq']);
    const bids = krakenLevelTexts(msg['bids']);
    const asks = krakenLevelTexts(msg['asks']);
    if (bids === undefined || asks === undefined || Number.isNaN(seq)) {
      sb.anomaly('invalid-price', 'book_snapshot without seq or with malformed levels');
      return;
    }
    sb.book.clear();
    for (const [price, qty] of bids) {
      if (!sb.setLevel(true, price, qty)) {
        sb.book.clear();
        return;
      }
    }
    for (const [price, qty] of asks) {
      if (!sb.setLevel(false, price, qty)) {
        sb.book.clear();
        return;
      }
    }
    sb.observe(recvTsNs, this.timestampMs(msg['timestamp']));
    sb.counters.snapshots++;
    sb.book.markSnapshot('full');
    sb.seq = seq;
    if (seq > sb.lastSeenSeq) sb.lastSeenSeq = seq;
    if (sb.book.isCrossed()) {
      sb.anomaly('crossed-book', `snapshot crossed: bid ${this.best(sb, true)} >= ask ${this.best(sb, false)}`);
      return;
    }
    sb.transition('live', 'snapshot', `seq ${seq}, ${bids.length} bids / ${asks.length} asks`);
    sb.afterApply(bids.length + asks.length);
  }

  private onDelta(msg: ExactObject, recvTsNs: bigint): void {
    const product = asText(msg['product_id']);
    const sb = product === undefined ? undefined : this.ctx.book(product);
    if (sb === undefined) return;
    sb.counters.messages++;
    if (sb.state !== 'live' && sb.state !== 'stale') {
      // Before the snapshot, or after an anomaly while the fresh snapshot is on its way.
      return;
    }
    const seq = asSafeInteger(msg['seq']);
    const side = asText(msg['side']);
    const price = asText(msg['price']);
    const qty = asText(msg['qty']);
    if (Number.isNaN(seq) || (side !== 'buy' && side !== 'sell') || price === undefined || qty === undefined) {
      sb.anomaly('invalid-price', `malformed book delta (seq ${asText(msg['seq']) ?? '?'}, side ${side ?? '?'})`);
      return;
    }
    if (seq > sb.lastSeenSeq) sb.lastSeenSeq = seq;
    const c = krakenFuturesContinuity(seq, sb.seq);
    if (c === 'duplicate' || c === 'regress') {
      sb.anomaly(c, `delta seq ${seq} at or before applied seq ${sb.seq}`);
      return;
    }
    if (c === 'gap') {
      sb.anomaly('gap', `expected seq ${sb.seq + 1}, got ${seq}`);
      return;
    }
    if (!sb.setLevel(side === 'buy', price, qty)) return;
    sb.seq = seq;
    sb.observe(recvTsNs, this.timestampMs(msg['timestamp']));
    if (sb.book.isCrossed()) {
      sb.anomaly('crossed-book', `best bid ${this.best(sb, true)} >= best ask ${this.best(sb, false)} after seq ${seq}`);
      return;
    }
    if (sb.state === 'stale') sb.transition('live', 'fresh data');
    sb.afterApply(1);
  }

  /** ticker_lite best bid/ask against the rebuilt book (prices only; the feed carries no sizes). */
  private onTicker(msg: ExactObject): void {
    const product = asText(msg['product_id']);
    const bid = asText(msg['bid']);
    const ask = asText(msg['ask']);
    if (product === undefined || bid === undefined || ask === undefined) return;
    const sb = this.ctx.book(product);
    if (sb === undefined || sb.state !== 'live' || sb.book.bids.count === 0 || sb.book.asks.count === 0) return;
    const ok = sb.book.bids.bestPrice() === sb.price(bid) && sb.book.asks.bestPrice() === sb.price(ask);
    this.ctx.crossCheck(sb, ok, `ticker_lite ${bid} / ${ask}, book ${this.best(sb, true)} / ${this.best(sb, false)}`);
  }

  private onTrade(msg: ExactObject, recvTsNs: bigint): void {
    const product = asText(msg['product_id']);
    const px = asText(msg['price']);
    const qty = asText(msg['qty']);
    const sb = product === undefined ? undefined : this.ctx.book(product);
    if (sb === undefined || px === undefined || qty === undefined) return;
    emitTrade(this.ctx, sb, recvTsNs, {
      priceText: px,
      sizeText: qty,
      tradeId: asText(msg['uid']) ?? `${asText(msg['seq']) ?? ''}`,
      takerSide: takerSide(asText(msg['side']), 'buy', 'sell'),
      exchTsMs: this.timestampMs(msg['time']),
    });
  }

  private timestampMs(v: ExactJson | undefined): number {
    const ms = asSafeInteger(v);
    return Number.isNaN(ms) ? 0 : ms;
  }

  private best(sb: SymbolBook, bid: boolean): string {
    const side = bid ? sb.book.bids : sb.book.asks;
    return side.count === 0 ? '-' : formatScaled(side.bestPrice(), sb.book.priceScale);
  }

  /** Unsubscribe + subscribe the product's book: Kraken Futures answers with a fresh book_snapshot. */
  resync(venueSymbol: string, cause: AnomalyKind): void {
    const sb = this.ctx.book(venueSymbol);
    if (sb === undefined) return;
    sb.seq = -1;
    const product_ids = [venueSymbol];
    resubscribe(this.ctx, sb, cause, { unsubscribe: { event: 'unsubscribe', feed: 'book', product_ids }, subscribe: { event: 'subscribe', feed: 'book', product_ids } });
  }

  onClose(): void {
    for (const sb of this.ctx.books()) {
      sb.seq = -1;
      sb.transition('connecting', 'reconnect', 'socket closed');
    }
  }
}
