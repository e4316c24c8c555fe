/**
 * Hyperliquid session: `l2Book` (every message a complete book, up to 20 levels per side) and
 * `trades`.
 *
 * Docs followed (venues.md section 14.4; the official GitBook pages were not among the sources):
 * - https://hyperliquid.gitbook.io/hyperliquid-docs/for-developers/api/websocket/subscriptions
 * - https://hyperliquid.gitbook.io/hyperliquid-docs/for-developers/api/websocket/timeouts-and-heartbeats
 * - impl: tardis-node src/realtimefeeds/hyperliquid.ts and src/mappers/hyperliquid.ts
 *
 * Quirks carried here:
 * - One coin per subscription: `{"method":"subscribe","subscription":{"type":"l2Book","coin":"BTC"}}`;
 *   an array of coins is silently ignored, so each coin is its own subscribe frame.
 * - `{"channel":"l2Book","data":{"coin","time","levels":[[bids...],[asks...]]}}`, levels
 *   `{px, sz, n}` best first, strings; `n` is the number of orders at the level (kept out of the
 *   price-level book, which holds sizes only). Every message replaces the book; there is no
 *   sequence, so loss cannot be detected and heals with the next message (SnapshotReplace checks
 *   the order on `time`). The first book is sent twice on subscribe, with the same `time`.
 * - `{"channel":"trades","data":[{coin, side, px, sz, time, tid, hash, users}]}`; `side` "B" = the
 *   taker bought, "A" = the taker sold. The first trades message after subscribing replays recent
 *   trades from before the subscription.
 * - `{"channel":"subscriptionResponse"}` acknowledges; `{"channel":"error","data":"..."}` reports.
 * - Keepalive: the server closes connections idle for about a minute; `{"method":"ping"}` is
 *   answered with `{"channel":"pong"}`.
 */
import type { AnomalyKind } from '../../../../src-shared/model/market.ts';
import { asArray, asObject, asSafeInteger, asText } from '../../../../src-shared/model/jsonExact.ts';
import type { ExactJson, ExactObject } from '../../../../src-shared/model/jsonExact.ts';
import type { ConnectionPlan, SessionContext, VenueSession } from '../venue.ts';
import { exactObjectFrame } from '../jsonFrame.ts';
import { emitTrade, takerSide } from '../tradeOut.ts';
import { leaveLiveForResync } from '../resubscribe.ts';
import type { SymbolBook } from '../../sync/symbolBook.ts';
import { SnapshotReplace } from '../../sync/snapshotReplace.ts';

/** Levels per side in an l2Book message. */
export const HYPERLIQUID_BOOK_DEPTH = 20;

export function hyperliquidSubscribeFrames(coin: string): string[] {
  return [
    JSON.stringify({ method: 'subscribe', subscription: { type: 'l2Book', coin } }),
    JSON.stringify({ method: 'subscribe', subscription: { type: 'trades', coin } }),
  ];
}

export class HyperliquidSession implements VenueSession {
  private readonly ctx: SessionContext;
  private readonly plan: ConnectionPlan;
  private readonly books = new Map<string, SnapshotReplace>();
  /** Idle connections are closed after about a minute. */
  readonly keepalive = { intervalMs: 30_000, frame: (): string => '{"method":"ping"}' };

  constructor(ctx: SessionContext, plan: ConnectionPlan) {
    this.ctx = ctx;
    this.plan = plan;
  }

  onOpen(): void {
    for (const coin of this.plan.venueSymbols) for (const f of hyperliquidSubscribeFrames(coin)) this.ctx.send(f);
  }

  private replace(sb: SymbolBook): SnapshotReplace {
    let r = this.books.get(sb.symbol);
    if (r === undefined) {
      r = new SnapshotReplace(sb);
      this.books.set(sb.symbol, r);
    }
    return r;
  }

  onMessage(raw: string, recvTsNs: bigint): void {
    const msg = exactObjectFrame(this.ctx, raw);
    if (msg === undefined) return;
    const channel = asText(msg['channel']);
    switch (channel) {
      case 'l2Book':
        return this.onBook(asObject(msg['data']), recvTsNs);
      case 'trades':
        return this.onTrades(asArray(msg['data']), recvTsNs);
      case 'pong':
      case 'subscriptionResponse':
        return;
      case 'error':
        this.ctx.notice('error', `venue error: ${asText(msg['data']) ?? JSON.stringify(msg['data'])}`);
        return;
      default:
        this.ctx.notice('info', `ignoring ${channel ?? '(no channel)'} frame`);
    }
  }

  private onBook(data: ExactObject | undefined, recvTsNs: bigint): void {
    const coin = data === undefined ? undefined : asText(data['coin']);
    const levels = data === undefined ? undefined : asArray(data['levels']);
    const bids = asArray(levels?.[0]);
    const asks = asArray(levels?.[1]);
    if (data === undefined || coin === undefined || bids === undefined || asks === undefined) {
      this.ctx.notice('warn', 'l2Book frame without coin or [bids, asks] levels');
      return;
    }
    const sb = this.ctx.book(coin);
    if (sb === undefined) return;
    const time = asSafeInteger(data['time']);
    this.replace(sb).onSnapshot(Number.isNaN(time) ? 0 : time, recvTsNs, (b) => {
      const nb = loadSide(b, true, bids);
      if (nb < 0) return -1;
      const na = loadSide(b, false, asks);
      return na < 0 ? -1 : nb + na;
    });
  }

  private onTrades(list: ExactJson[] | undefined, recvTsNs: bigint): void {
    if (list === undefined) {
      this.ctx.notice('warn', 'trades frame without a list');
      return;
    }
    for (const item of list) {
      const t = asObject(item);
      const coin = t === undefined ? undefined : asText(t['coin']);
      const px = t === undefined ? undefined : asText(t['px']);
      const sz = t === undefined ? undefined : asText(t['sz']);
      if (t === undefined || coin === undefined || px === undefined || sz === undefined) {
        this.ctx.notice('warn', 'trade without coin, px or sz');
        continue;
      }
      const sb = this.ctx.book(coin);
      if (sb === undefined) continue;
      const time = asSafeInteger(t['time']);
      emitTrade(this.ctx, sb, recvTsNs, {
        priceText: px,
        sizeText: sz,
        tradeId: asText(t['tid']) ?? '',
        takerSide: takerSide(asText(t['side']), 'B', 'A'),
        exchTsMs: Number.isNaN(time) ? 0 : time,
      });
    }
  }

  /** The next l2Book message is a complete book; the book is not live until it arrives. */
  resync(venueSymbol: string, cause: AnomalyKind): void {
    const sb = this.ctx.book(venueSymbol);
    if (sb !== undefined) leaveLiveForResync(sb, cause, 'waiting for the next l2Book message');
  }

  onClose(): void {
    for (const r of this.books.values()) r.reset();
    for (const sb of this.ctx.books()) sb.transition('connecting', 'reconnect', 'socket closed');
  }
}

/** Set one side's `{px, sz, n}` levels; -1 when one is unusable (the anomaly is recorded). */
function loadSide(sb: SymbolBook, isBid: boolean, levels: ExactJson[]): number {
  let n = 0;
  for (const l of levels) {
    const o = asObject(l);
    const px = o === undefined ? undefined : asText(o['px']);
    const sz = o === undefined ? undefined : asText(o['sz']);
    if (px === undefined || sz === undefined) {
      sb.anomaly('invalid-price', 'l2Book level without px/sz');
      return -1;
    }
    if (!sb.setLevel(isBid, px, sz)) return -1;
    n++;
  }
  return n;
}
