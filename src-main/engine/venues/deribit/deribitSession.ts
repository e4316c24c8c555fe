/**
 * Deribit JSON-RPC session: `book.{instrument}.{raw|100ms}` (in-band snapshot, then changes
 * chained by `prev_change_id`), `trades.{instrument}.{interval}`, heartbeats.
 *
 * Docs followed (venues.md section 10):
 * - https://docs.deribit.com/subscriptions/orderbook/bookinstrument_nameinterval
 * - https://docs.deribit.com/api-reference/session-management/public-set_heartbeat
 * - https://docs.deribit.com/subscriptions/trades/tradesinstrument_nameinterval
 * - https://docs.deribit.com/articles/rate-limits (subscribe requests are credit-limited)
 * - impl: tardis-node src/realtimefeeds/deribit.ts and src/mappers/deribit.ts
 *
 * Quirks carried here:
 * - The first notification of a book subscription is `type:"snapshot"`, the whole book with
 *   action "new" on every level; each later `type:"change"` carries `prev_change_id`, which must
 *   equal the previous notification's `change_id`. Anything else means notifications were lost:
 *   the book is invalid and only that instrument is unsubscribed and subscribed again, which makes
 *   Deribit send a fresh snapshot (venues.md 10, 1.1 RESYNCING). A change whose `change_id` is not
 *   above the applied one is a duplicate (equal) or a regress (lower) and is dropped.
 * - Level entries are `[action, price, amount]` with action "new" / "change" / "delete"; `amount`
 *   is the level's new total, and delete carries 0. Applied as absolute sizes.
 * - Prices and amounts are JSON numbers: parsed from their source text (parseJsonExact). Options
 *   are priced in the underlying coin and sized in coin contracts; perpetuals and futures are sized
 *   in USD (venues.md 10, "Units").
 * - `raw` needs an authorised connection since Deribit restricted it (venues.md 10, "raw interval
 *   is only available to authorized users"); `100ms` is the unauthenticated default. Both follow the
 *   same chain rule. The 2021 recordings used `raw` on public connections.
 * - Heartbeats: `public/set_heartbeat` (interval >= 10 s) makes the server send `heartbeat`
 *   notifications and `test_request`s; a test_request must be answered with `public/test` or the
 *   connection is closed immediately (DRB-HB).
 * - Trades: `direction` is the taker side; `trade_id` a string.
 * - No checksum: the change-id chain is the only proof of a complete book.
 */
import type { AnomalyKind } from '../../../../src-shared/model/market.ts';
import { asArray, asObject, asSafeInteger, asText } from '../../../../src-shared/model/jsonExact.ts';
import type { ExactJson, ExactObject } from '../../../../src-shared/model/jsonExact.ts';
import type { ConnectionPlan, SessionContext, VenueSession } from '../venue.ts';
import { exactObjectFrame } from '../jsonFrame.ts';
import { emitTrade, takerSide } from '../tradeOut.ts';
import { leaveLiveForResync } from '../resubscribe.ts';
import type { SymbolBook } from '../../sync/symbolBook.ts';

export type DeribitInterval = 'raw' | '100ms';

/** Heartbeat interval asked for with public/set_heartbeat (Deribit's minimum is 10 s). */
export const DERIBIT_HEARTBEAT_S = 10;

export function deribitBookChannel(instrument: string, interval: DeribitInterval): string {
  return `book.${instrument}.${interval}`;
}

export function deribitTradesChannel(instrument: string, interval: DeribitInterval): string {
  return `trades.${instrument}.${interval}`;
}

/** What a pending JSON-RPC request was, to make sense of its answer. */
interface Pending {
  method: string;
  channels: string[];
}

export class DeribitSession implements VenueSession {
  private readonly ctx: SessionContext;
  private readonly plan: ConnectionPlan;
  private readonly interval: DeribitInterval;
  /** Book channel each instrument was seen on (resubscribe exactly that channel). */
  private readonly bookChannels = new Map<string, string>();
  private readonly pending = new Map<number, Pending>();
  private readonly ignoredChannels = new Set<string>();
  private nextId = 1;

  constructor(ctx: SessionContext, plan: ConnectionPlan, interval: DeribitInterval = '100ms') {
    this.ctx = ctx;
    this.plan = plan;
    this.interval = interval;
  }

  onOpen(): void {
    this.request('public/set_heartbeat', { interval: DERIBIT_HEARTBEAT_S });
    const instruments = this.plan.venueSymbols;
    if (instruments.length === 0) return;
    const channels = instruments.flatMap((i) => [deribitBookChannel(i, this.interval), deribitTradesChannel(i, this.interval)]);
    this.request('public/subscribe', { channels }, channels);
  }

  private request(method: string, params: Record<string, unknown>, channels: string[] = []): void {
    const id = this.nextId++;
    this.pending.set(id, { method, channels });
    this.ctx.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
  }

  onMessage(raw: string, recvTsNs: bigint): void {
    const msg = exactObjectFrame(this.ctx, raw);
    if (msg === undefined) return;
    const method = asText(msg['method']);
    const params = asObject(msg['params']);
    if (method === 'subscription' && params !== undefined) return this.onNotification(params, recvTsNs);
    if (method === 'heartbeat') {
      // type "test_request" must be answered at once, else Deribit closes the connection.
      if (params !== undefined && asText(params['type']) === 'test_request') this.request('public/test', {});
      return;
    }
    const id = asSafeInteger(msg['id']);
    const req = Number.isNaN(id) ? undefined : this.pending.get(id);
    if (req !== undefined) this.pending.delete(id);
    const error = asObject(msg['error']);
    if (error !== undefined) return this.onError(error, req);
    if (req !== undefined && req.method === 'public/subscribe') this.checkSubscribed(req, asArray(msg['result']));
    // Results of set_heartbeat / test / unsubscribe, and answers to requests this session did not
    // send (a recording's own subscribe): nothing to do.
  }

  private onError(error: ExactObject, req: Pending | undefined): void {
    const text = `${asText(error['code']) ?? '?'} ${asText(error['message']) ?? ''}`;
    this.ctx.notice('error', `${req?.method ?? 'request'} failed: ${text}`);
    if (req === undefined) return;
    for (const ch of req.channels) {
      if (!ch.startsWith('book.')) continue;
      this.ctx.book(instrumentOf(ch))?.anomaly('subscribe-error', `${ch}: ${text}`);
    }
  }

  /** Channels asked for and missing from the result were refused (unknown or expired instrument). */
  private checkSubscribed(req: Pending, result: ExactJson[] | undefined): void {
    const granted = new Set((result ?? []).map((c) => asText(c) ?? ''));
    for (const ch of req.channels) {
      if (granted.has(ch)) continue;
      this.ctx.notice('error', `subscription ${ch} not granted`, instrumentOf(ch));
      if (ch.startsWith('book.')) this.ctx.book(instrumentOf(ch))?.anomaly('subscribe-error', `${ch} not granted`);
    }
  }

  private onNotification(params: ExactObject, recvTsNs: bigint): void {
    const channel = asText(params['channel']) ?? '';
    const kind = channel.slice(0, channel.indexOf('.'));
    if (kind === 'book') return this.onBook(channel, asObject(params['data']), recvTsNs);
    if (kind === 'trades') return this.onTrades(asArray(params['data']), recvTsNs);
    if (!this.ignoredChannels.has(kind)) {
      this.ignoredChannels.add(kind);
      this.ctx.notice('info', `ignoring ${kind || channel} notifications`);
    }
  }

  private onBook(channel: string, d: ExactObject | undefined, recvTsNs: bigint): void {
    const instrument = d === undefined ? undefined : asText(d['instrument_name']);
    if (d === undefined || instrument === undefined) {
      this.ctx.notice('warn', `book notification without instrument_name on ${channel}`);
      return;
    }
    const sb = this.ctx.book(instrument);
    if (sb === undefined) return;
    this.bookChannels.set(instrument, channel);
    sb.counters.messages++;
    const changeId = asSafeInteger(d['change_id']);
    const type = asText(d['type']);
    if (Number.isNaN(changeId) || (type !== 'snapshot' && type !== 'change')) {
      // The grouped channel (book.X.group.depth.interval) has no type and no chain; not subscribed.
      this.ctx.notice('warn', `book notification on ${channel} without type snapshot/change and change_id`, instrument);
      return;
    }
    if (changeId > sb.lastSeenSeq) sb.lastSeenSeq = changeId;
    const ts = asSafeInteger(d['timestamp']);
    if (type === 'snapshot') return this.applySnapshot(sb, d, changeId, Number.isNaN(ts) ? 0 : ts, recvTsNs);
    if (sb.state !== 'live' && sb.state !== 'stale') {
      // Before the snapshot, or after an anomaly while the resubscription's snapshot is on its way.
      return;
    }
    if (changeId <= sb.seq) {
      sb.anomaly(changeId === sb.seq ? 'duplicate' : 'regress', `change_id ${changeId} at or before the applied ${sb.seq}`);
      return;
    }
    const prev = asSafeInteger(d['prev_change_id']);
    if (prev !== sb.seq) {
      sb.anomaly('gap', `prev_change_id ${Number.isNaN(prev) ? 'missing' : prev}, expected ${sb.seq} (change_id ${changeId})`);
      return;
    }
    sb.observe(recvTsNs, Number.isNaN(ts) ? 0 : ts);
    const n = this.applyLevels(sb, d, true);
    if (n < 0) return;
    sb.seq = changeId;
    if (sb.book.isCrossed()) {
      sb.anomaly('crossed-book', `best bid ${sb.book.bids.bestPrice()} >= best ask ${sb.book.asks.bestPrice()} after change_id ${changeId}`);
      return;
    }
    if (sb.state === 'stale') sb.transition('live', 'fresh data');
    sb.afterApply(n);
  }

  private applySnapshot(sb: SymbolBook, d: ExactObject, changeId: number, ts: number, recvTsNs: bigint): void {
    sb.observe(recvTsNs, ts);
    sb.book.clear();
    if (sb.state !== 'syncing') sb.transition('syncing', 'snapshot', `change_id ${changeId}`);
    const n = this.applyLevels(sb, d, false);
    if (n < 0) {
      sb.book.clear();
      return;
    }
    sb.counters.snapshots++;
    // The raw/100ms book channels send the whole book, not a depth-limited window.
    sb.book.markSnapshot('full');
    sb.seq = changeId;
    if (sb.book.isCrossed()) {
      sb.anomaly('crossed-book', `snapshot crossed: bid ${sb.book.bids.bestPrice()} >= ask ${sb.book.asks.bestPrice()}`);
      return;
    }
    sb.transition('live', 'snapshot', `change_id ${changeId}`);
    sb.afterApply(n);
  }

  /**
   * Apply both sides' `[action, price, amount]` entries; -1 after an anomaly. On changes the action
   * must agree with the book: "new" for a price it does not hold, "change" and "delete" for one it
   * does. Every entry of the recordings agrees (489 of 489), so a disagreement means a notification
   * was lost even if the change-id chain looks whole: it is reported as a gap.
   */
  private applyLevels(sb: SymbolBook, d: ExactObject, checkActions: boolean): number {
    let n = 0;
    for (const [key, isBid] of [['bids', true], ['asks', false]] as const) {
      const entries = asArray(d[key]);
      if (entries === undefined) {
        sb.anomaly('invalid-price', `book notification without ${key}`);
        return -1;
      }
      for (const e of entries) {
        const entry = asArray(e);
        const action = asText(entry?.[0]);
        const price = asText(entry?.[1]);
        const amount = asText(entry?.[2]);
        if (price === undefined || amount === undefined || (action !== 'new' && action !== 'change' && action !== 'delete')) {
          sb.anomaly('invalid-price', `unreadable ${key} entry ${JSON.stringify(e)}`);
          return -1;
        }
        if (checkActions) {
          const p = sb.price(price);
          if (Number.isNaN(p)) return -1;
          const held = (isBid ? sb.book.bids : sb.book.asks).sizeAt(p) > 0;
          if (held === (action === 'new')) {
            sb.anomaly('gap', `${action} ${key === 'bids' ? 'bid' : 'ask'} ${price} but the book ${held ? 'already holds' : 'does not hold'} that price`);
            return -1;
          }
          sb.counters.refsOk++;
        }
        if (!sb.setLevel(isBid, price, action === 'delete' ? '0' : amount)) return -1;
        n++;
      }
    }
    return n;
  }

  private onTrades(list: ExactJson[] | undefined, recvTsNs: bigint): void {
    if (list === undefined) {
      this.ctx.notice('warn', 'trades notification without a list');
      return;
    }
    for (const item of list) {
      const t = asObject(item);
      const instrument = t === undefined ? undefined : asText(t['instrument_name']);
      const px = t === undefined ? undefined : asText(t['price']);
      const amount = t === undefined ? undefined : asText(t['amount']);
      if (t === undefined || instrument === undefined || px === undefined || amount === undefined) {
        this.ctx.notice('warn', 'trade without instrument_name, price or amount');
        continue;
      }
      const sb = this.ctx.book(instrument);
      if (sb === undefined) continue;
      const ts = asSafeInteger(t['timestamp']);
      emitTrade(this.ctx, sb, recvTsNs, {
        priceText: px,
        sizeText: amount,
        tradeId: asText(t['trade_id']) ?? '',
        takerSide: takerSide(asText(t['direction']), 'buy', 'sell'),
        exchTsMs: Number.isNaN(ts) ? 0 : ts,
      });
    }
  }

  /** Unsubscribe and subscribe the instrument's book channel: Deribit answers with a fresh snapshot. */
  resync(venueSymbol: string, cause: AnomalyKind): void {
    const sb = this.ctx.book(venueSymbol);
    if (sb === undefined) return;
    leaveLiveForResync(sb, cause);
    // A refused subscription (unknown or expired instrument) would be refused again at once: it
    // waits for a manual resync or a reconnect instead of spending subscribe credits in a loop.
    if (cause === 'subscribe-error') return;
    const channel = this.bookChannels.get(venueSymbol) ?? deribitBookChannel(venueSymbol, this.interval);
    this.request('public/unsubscribe', { channels: [channel] });
    this.request('public/subscribe', { channels: [channel] }, [channel]);
  }

  onClose(): void {
    this.pending.clear();
    for (const sb of this.ctx.books()) sb.transition('connecting', 'reconnect', 'socket closed');
  }
}

/** "book.BTC-PERPETUAL.100ms" -> "BTC-PERPETUAL". */
function instrumentOf(channel: string): string {
  const first = channel.indexOf('.');
  const last = channel.lastIndexOf('.');
  return last > first ? channel.slice(first + 1, last) : channel.slice(first + 1);
}
