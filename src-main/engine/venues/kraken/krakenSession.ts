/**
 * Kraken spot WebSocket v1 session: `book` (with checksum) and `trade`.
 *
 * Docs followed (venues.md section 9):
 * - https://docs.kraken.com/api/docs/guides/spot-ws-book-v1 (maintaining the book, checksum)
 * - https://docs.kraken.com/api/docs/websocket-v1/book, .../websocket-v1/trade,
 *   .../websocket-v1/heartbeat, .../websocket-v1/ping, .../websocket-v1/subscribe,
 *   .../websocket-v1/systemstatus
 *
 * Quirks carried here:
 * - Frames are arrays `[channelID, payload..., channelName, pair]`; the pair names the book, so no
 *   channelID map is needed. Snapshot `[id, {"as": [...], "bs": [...]}, "book-1000", "XBT/USD"]`;
 *   update `[id, {"a": [...]}, {"b": [...], "c": "checksum"}, "book-1000", "XBT/USD"]` with one or
 *   two maps, the checksum in the last one. Entries are `[price, volume, timestamp]` plus an
 *   optional 4th "r" (republish: a level re-sent to refill the subscribed depth after a removal),
 *   applied like any other set.
 * - Apply entries in array order (several updates of one level can share a timestamp, so never
 *   sort by it), then truncate each side to the subscribed depth: levels pushed out of scope are
 *   not deleted by the server (venues.md 9, "if subscribed with depth 10 and an insert results in
 *   11 bids, remove the 11th"). The depth is the N of the channel name "book-N".
 * - No sequence numbers: the checksum is the only loss detector, and v1 sends it on updates only.
 *   It covers the top 10 levels rendered with the pair's fixed decimals; v1 strings always carry
 *   them ("58729.40000"), so the decimals are learnt from the snapshot strings (krakenChecksum.ts).
 * - Deletes for unknown prices happen ("erroneous deletion messages periodically", cryptofeed
 *   kraken.py) and are ignored by the book.
 * - Heartbeats arrive about once a second on an idle connection; the client may ping with
 *   {"event":"ping"} and gets {"event":"pong"}.
 * - A subscriptionStatus with status "error" is reported as a notice and a 'subscribe-error'
 *   anomaly on the pair.
 * - v1 trades `[price, volume, time, side "b"/"s", orderType "m"/"l", misc]` have no trade id;
 *   the id is synthesized as `${time}-${index in the frame}`, deterministic for a given stream.
 *
 * Kraken v2 is krakenV2Session.ts; krakenSpec.ts picks the protocol from the connection URL (v1
 * at the root: the recordings, `verify`, the local replay server). docs/venues/kraken.md.
 */
import type { AnomalyKind } from '../../../../src-shared/model/market.ts';
import type { ConnectionPlan, SessionContext, VenueSession } from '../venue.ts';
import { jsonFrame } from '../jsonFrame.ts';
import { emitTrade, takerSide } from '../tradeOut.ts';
import { resubscribe } from '../resubscribe.ts';
import type { SymbolBook } from '../../sync/symbolBook.ts';
import { krakenBookChecksum, krakenBookChecksumText } from './krakenChecksum.ts';
import type { WireDecimals } from './krakenChecksum.ts';

/** Depth subscribed by default, as in the recordings (book-1000). */
export const KRAKEN_DEFAULT_DEPTH = 1000;

/** Depths Kraken v1 accepts for `book`. */
export const KRAKEN_DEPTHS: readonly number[] = [10, 25, 100, 500, 1000];

type KrakenEntry = [string, string, string?, string?];

interface KrakenEvent {
  event?: string;
  status?: string;
  pair?: string;
  channelName?: string;
  errorMessage?: string;
  subscription?: { name?: string; depth?: number };
  version?: string;
}

interface SymbolState {
  /** Fixed fractional digits of the pair's wire strings, learnt from the snapshot. */
  decimals: WireDecimals;
  /** The decimals of an update differed from the snapshot's and the notice was given. */
  decimalsNoticed: boolean;
  /** Depth this book is subscribed with (from "book-N"). */
  depth: number;
}

/** Fractional digits of a decimal string ("58729.40000" -> 5). */
function fractionDigits(s: string): number {
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
}

/** Kraken times are seconds with microseconds ("1617666423.606671") -> integer ms, no float. */
export function krakenTimeToMs(s: string): number {
  // One pass over the characters (called for every level of every message).
  let sec = 0;
  let ms = 0;
  let frac = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46 && frac < 0) {
      frac = 0;
      continue;
    }
    if (c < 48 || c > 57) return 0;
    if (frac < 0) sec = sec * 10 + (c - 48);
    else if (frac < 3) {
      ms = ms * 10 + (c - 48);
      frac++;
    }
  }
  if (s.length === 0 || s === '.') return 0;
  for (let f = frac < 0 ? 0 : frac; f < 3; f++) ms *= 10;
  return sec * 1000 + ms;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export class KrakenSession implements VenueSession {
  private readonly ctx: SessionContext;
  private readonly plan: ConnectionPlan;
  private readonly depth: number;
  private readonly states = new Map<string, SymbolState>();
  /** Kraken answers {"event":"ping"} with {"event":"pong"}; heartbeats flow anyway when idle. */
  readonly keepalive = { intervalMs: 30_000, frame: (): string => '{"event":"ping"}' };

  constructor(ctx: SessionContext, plan: ConnectionPlan, depth = KRAKEN_DEFAULT_DEPTH) {
    this.ctx = ctx;
    this.plan = plan;
    this.depth = depth;
  }

  onOpen(): void {
    const pair = this.plan.venueSymbols;
    if (pair.length === 0) return;
    this.ctx.send(JSON.stringify({ event: 'subscribe', pair, subscription: { name: 'book', depth: this.depth } }));
    this.ctx.send(JSON.stringify({ event: 'subscribe', pair, subscription: { name: 'trade' } }));
  }

  private state(sb: SymbolBook): SymbolState {
    let st = this.states.get(sb.symbol);
    if (st === undefined) {
      st = { decimals: { price: 0, size: 0 }, decimalsNoticed: false, depth: this.depth };
      this.states.set(sb.symbol, st);
    }
    return st;
  }

  onMessage(raw: string, recvTsNs: bigint): void {
    const msg = jsonFrame(this.ctx, raw);
    if (msg === undefined) return;
    if (Array.isArray(msg)) return this.onChannel(msg, recvTsNs);
    if (isRecord(msg)) return this.onEvent(msg as KrakenEvent);
    this.ctx.notice('warn', `unexpected frame ${raw.slice(0, 80)}`);
  }

  private onEvent(e: KrakenEvent): void {
    switch (e.event) {
      case 'heartbeat':
      case 'pong':
        return;
      case 'systemStatus':
        // "online", or "maintenance" / "cancel_only" / "limit_only" / "post_only".
        this.ctx.notice(e.status === 'online' ? 'info' : 'warn', `system status ${e.status ?? '?'}${e.version ? ` (v${e.version})` : ''}`);
        return;
      case 'subscriptionStatus':
        return this.onSubscriptionStatus(e);
      case 'error':
        this.ctx.notice('error', `venue error: ${e.errorMessage ?? '?'}`);
        return;
      default:
        this.ctx.notice('info', `event ${e.event ?? '?'}`);
    }
  }

  private onSubscriptionStatus(e: KrakenEvent): void {
    const name = e.subscription?.name ?? e.channelName ?? '?';
    if (e.status === 'error') {
      this.ctx.notice('error', `subscribe ${name} failed: ${e.errorMessage ?? '?'}`, e.pair);
      if (e.pair !== undefined && name === 'book') this.ctx.book(e.pair)?.anomaly('subscribe-error', e.errorMessage ?? 'subscription error');
      return;
    }
    if (e.status === 'subscribed' && name === 'book' && e.pair !== undefined && typeof e.subscription?.depth === 'number') {
      const sb = this.ctx.book(e.pair);
      if (sb !== undefined) {
        this.state(sb).depth = e.subscription.depth;
        sb.book.depthCap = e.subscription.depth;
      }
    }
    this.ctx.notice('info', `${e.status ?? '?'} ${e.channelName ?? name}`, e.pair);
  }

  private onChannel(a: unknown[], recvTsNs: bigint): void {
    const n = a.length;
    const pair = a[n - 1];
    const channelName = a[n - 2];
    if (n < 4 || typeof pair !== 'string' || typeof channelName !== 'string') {
      this.ctx.notice('warn', `unexpected channel frame of ${n} elements`);
      return;
    }
    if (channelName.startsWith('book-')) {
      const maps = a.slice(1, n - 2);
      if (!maps.every(isRecord)) {
        this.ctx.notice('warn', `book frame without level maps`, pair);
        return;
      }
      const sb = this.ctx.book(pair);
      if (sb !== undefined) this.onBook(sb, Number(channelName.slice(5)), maps, recvTsNs);
      return;
    }
    if (channelName === 'trade' && Array.isArray(a[1])) this.onTrades(pair, a[1] as unknown[], recvTsNs);
    // ticker, spread, ohlc-N: nothing the book needs.
  }

  private onBook(sb: SymbolBook, depth: number, maps: Record<string, unknown>[], recvTsNs: bigint): void {
    sb.counters.messages++;
    const st = this.state(sb);
    if (Number.isSafeInteger(depth) && depth > 0) {
      st.depth = depth;
      sb.book.depthCap = depth;
    }
    const first = maps[0]!;
    if ('as' in first || 'bs' in first) this.applySnapshot(sb, st, first, recvTsNs);
    else this.applyUpdate(sb, st, maps, recvTsNs);
  }

  /** Set entries in array order; -1 when a level was rejected (SymbolBook raised the anomaly). */
  private applyEntries(sb: SymbolBook, isBid: boolean, entries: unknown, latest: { ms: number }): number {
    if (!Array.isArray(entries)) return 0;
    let n = 0;
    for (const e of entries as KrakenEntry[]) {
      if (!sb.setLevel(isBid, e[0], e[1])) return -1;
      if (e[2] !== undefined) {
        const ms = krakenTimeToMs(e[2]);
        if (ms > latest.ms) latest.ms = ms;
      }
      n++;
    }
    return n;
  }

  private applySnapshot(sb: SymbolBook, st: SymbolState, m: Record<string, unknown>, recvTsNs: bigint): void {
    const asks = Array.isArray(m['as']) ? (m['as'] as KrakenEntry[]) : [];
    const bids = Array.isArray(m['bs']) ? (m['bs'] as KrakenEntry[]) : [];
    // v1 renders every value of a pair with the same fixed decimals: the snapshot shows them.
    const sample = asks[0] ?? bids[0];
    if (sample !== undefined) st.decimals = { price: fractionDigits(sample[0]), size: fractionDigits(sample[1]) };
    st.decimalsNoticed = false;
    sb.book.clear();
    const latest = { ms: 0 };
    const na = this.applyEntries(sb, false, asks, latest);
    const nb = na < 0 ? -1 : this.applyEntries(sb, true, bids, latest);
    if (nb < 0) {
      sb.book.clear();
      return;
    }
    sb.observe(recvTsNs, latest.ms);
    sb.counters.snapshots++;
    sb.book.enforceCap();
    sb.book.markSnapshot('window');
    // v1 snapshots carry no checksum (the first update proves the book).
    sb.checksum('not-provided');
    if (sb.book.isCrossed()) {
      sb.anomaly('crossed-book', `snapshot crossed: bid ${sb.book.bids.bestPrice()} >= ask ${sb.book.asks.bestPrice()}`);
      return;
    }
    sb.transition('live', 'snapshot', `${asks.length} asks / ${bids.length} bids, decimals ${st.decimals.price}/${st.decimals.size}`);
    sb.afterApply(na + nb);
  }

  private applyUpdate(sb: SymbolBook, st: SymbolState, maps: Record<string, unknown>[], recvTsNs: bigint): void {
    if (sb.state !== 'live' && sb.state !== 'stale') {
      // Before the snapshot, or after an anomaly while the fresh snapshot is on its way.
      return;
    }
    const latest = { ms: 0 };
    let n = 0;
    for (const m of maps) {
      for (const key of Object.keys(m)) {
        if (key !== 'a' && key !== 'b') continue;
        this.checkDecimals(sb, st, m[key]);
        const k = this.applyEntries(sb, key === 'b', m[key], latest);
        if (k < 0) return;
        n += k;
      }
    }
    sb.observe(recvTsNs, latest.ms);
    // Truncate before the checksum: the exchange's top 10 is computed on the depth-N book.
    sb.book.enforceCap();
    const c = maps[maps.length - 1]!['c'];
    if (typeof c === 'string' && c.length > 0) {
      const got = krakenBookChecksum(sb.book, st.decimals);
      if (String(got) !== c) {
        sb.checksum('mismatch', `checksum ${c}, local ${got} over "${krakenBookChecksumText(sb.book, st.decimals).slice(0, 160)}"`);
        return;
      }
      sb.checksum('ok');
    } else {
      sb.checksum('not-provided');
    }
    if (sb.book.isCrossed()) {
      sb.anomaly('crossed-book', `best bid ${sb.book.bids.bestPrice()} >= best ask ${sb.book.asks.bestPrice()} at scale ${sb.book.priceScale}`);
      return;
    }
    if (sb.state === 'stale') sb.transition('live', 'fresh data');
    sb.afterApply(n);
  }

  /**
   * Kraken changes a pair's precision now and then; the strings then carry the new decimals and
   * the checksum follows them. Adopt them (and say so) rather than fail every checksum.
   */
  private checkDecimals(sb: SymbolBook, st: SymbolState, entries: unknown): void {
    if (!Array.isArray(entries)) return;
    for (const e of entries as KrakenEntry[]) {
      const p = fractionDigits(e[0]);
      const s = fractionDigits(e[1]);
      if (p !== st.decimals.price || s !== st.decimals.size) {
        if (!st.decimalsNoticed) {
          this.ctx.notice('warn', `update decimals ${p}/${s} differ from the snapshot's ${st.decimals.price}/${st.decimals.size}`, sb.symbol);
          st.decimalsNoticed = true;
        }
        st.decimals = { price: p, size: s };
      }
    }
  }

  private onTrades(pair: string, trades: unknown[], recvTsNs: bigint): void {
    const sb = this.ctx.book(pair);
    if (sb === undefined) return;
    trades.forEach((t, index) => {
      if (!Array.isArray(t) || typeof t[0] !== 'string' || typeof t[1] !== 'string' || typeof t[2] !== 'string') return;
      const [px, vol, time, side] = t as [string, string, string, string?];
      emitTrade(this.ctx, sb, recvTsNs, {
        priceText: px,
        sizeText: vol,
        // v1 trades have no id: time (microseconds) + position in the frame, stable for a stream.
        tradeId: `${time}-${index}`,
        // "b" = the taker bought, "s" = the taker sold (v1 trade doc: side of the order that
        // triggered the trade).
        takerSide: takerSide(side, 'b', 's'),
        exchTsMs: krakenTimeToMs(time),
      });
    });
  }

  /** Unsubscribe + subscribe the pair's book: Kraken answers with a fresh snapshot. */
  resync(venueSymbol: string, cause: AnomalyKind): void {
    const sb = this.ctx.book(venueSymbol);
    if (sb === undefined) return;
    const st = this.state(sb);
    const subscription = { name: 'book', depth: st.depth };
    resubscribe(this.ctx, sb, cause, { unsubscribe: { event: 'unsubscribe', pair: [venueSymbol], subscription }, subscribe: { event: 'subscribe', pair: [venueSymbol], subscription } });
  }

  onClose(): void {
    for (const sb of this.ctx.books()) sb.transition('connecting', 'reconnect', 'socket closed');
  }
}
