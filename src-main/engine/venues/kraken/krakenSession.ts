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
import { RecentText } from '../../../../src-shared/model/jsonScan.ts';
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
  return krakenTimeToMsAt(s, 0, s.length);
}

/** `krakenTimeToMs` of `raw[start..end)` (in-place scan). */
function krakenTimeToMsAt(raw: string, start: number, end: number): number {
  // One pass over the characters (called for every level of every message).
  let sec = 0;
  let ms = 0;
  let frac = -1;
  for (let i = start; i < end; i++) {
    const c = raw.charCodeAt(i);
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
  if (end === start || (end - start === 1 && raw.charCodeAt(start) === 46)) return 0;
  for (let f = frac < 0 ? 0 : frac; f < 3; f++) ms *= 10;
  return sec * 1000 + ms;
}

/** Fractional digits of `raw[start..end)`. */
function fractionDigitsAt(raw: string, start: number, end: number): number {
  const dot = raw.indexOf('.', start);
  return dot < 0 || dot >= end ? 0 : end - dot - 1;
}

/**
 * Index after the `[["p","v","t"(,"r")],...]` array at `raw[at]`, or -1 when the text there is
 * not exactly that (entries of 3 or 4 strings, no spaces; the caller has excluded backslashes).
 */
function entriesEnd(raw: string, at: number): number {
  if (raw.charCodeAt(at) !== 91) return -1;
  let i = at + 1;
  if (raw.charCodeAt(i) === 93) return i + 1;
  for (;;) {
    if (raw.charCodeAt(i) !== 91) return -1;
    i++;
    let n = 0;
    for (;;) {
      if (raw.charCodeAt(i) !== 34) return -1;
      const q = raw.indexOf('"', i + 1);
      if (q < 0) return -1;
      n++;
      i = q + 1;
      const c = raw.charCodeAt(i++);
      if (c === 44) continue;
      if (c === 93) break;
      return -1;
    }
    if (n < 3 || n > 4) return -1;
    const c = raw.charCodeAt(i++);
    if (c === 44) continue;
    if (c === 93) return i;
    return -1;
  }
}

/** Price, volume and time ranges of the entry read by `readEntry`. */
const ENTRY = new Int32Array(6);

/** Read the (validated) entry at `raw[at]` into ENTRY; returns the index after its ']'. */
function readEntry(raw: string, at: number): number {
  const ps = at + 2;
  const pe = raw.indexOf('"', ps);
  const vs = pe + 3;
  const ve = raw.indexOf('"', vs);
  const ts = ve + 3;
  const te = raw.indexOf('"', ts);
  ENTRY[0] = ps;
  ENTRY[1] = pe;
  ENTRY[2] = vs;
  ENTRY[3] = ve;
  ENTRY[4] = ts;
  ENTRY[5] = te;
  // A 4th element ("r", republish) follows the time.
  return raw.charCodeAt(te + 1) === 93 ? te + 2 : raw.indexOf(']', te + 1) + 1;
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
    // Hot path: book updates are scanned in place (documented layout); anything else is parsed.
    if (raw.charCodeAt(0) === 91 && this.scanUpdate(raw, recvTsNs)) return;
    const msg = jsonFrame(this.ctx, raw);
    if (msg === undefined) return;
    if (Array.isArray(msg)) return this.onChannel(msg, recvTsNs);
    if (isRecord(msg)) return this.onEvent(msg as KrakenEvent);
    this.ctx.notice('warn', `unexpected frame ${raw.slice(0, 80)}`);
  }

  /** Key and array start of each level array of the frame being scanned (at most 4). */
  private readonly spans = new Int32Array(8);
  /** Pairs of scanned frames (the previous one compared in place: no new string to hash). */
  private readonly pairs = new RecentText();

  /**
   * A book update `[id,{"a":[..]},{"b":[..],"c":".."},"book-N","PAIR"]` (one or two maps, keys
   * a, b and c), scanned in place with the same effects as parsing it. The whole layout is
   * checked before anything is applied; returns false, having applied nothing, for anything else
   * (a snapshot, other channels, escapes, spaces, repeated keys): the caller then parses the frame.
   */
  private scanUpdate(raw: string, recvTsNs: bigint): boolean {
    const len = raw.length;
    if (raw.charCodeAt(len - 1) !== 93 || raw.charCodeAt(len - 2) !== 34 || raw.indexOf('\\') >= 0) return false;
    const pairQuote = raw.lastIndexOf('"', len - 3);
    if (pairQuote < 4 || raw.charCodeAt(pairQuote - 1) !== 44 || raw.charCodeAt(pairQuote - 2) !== 34) return false;
    const chQuote = raw.lastIndexOf('"', pairQuote - 3);
    if (chQuote < 2 || !raw.startsWith('book-', chQuote + 1) || raw.charCodeAt(chQuote - 1) !== 44 || raw.charCodeAt(chQuote - 2) !== 125) return false;
    let depth = 0;
    for (let i = chQuote + 6; i < pairQuote - 2; i++) {
      const c = raw.charCodeAt(i);
      if (c < 48 || c > 57 || depth > 1e6) return false;
      depth = depth * 10 + (c - 48);
    }
    let at = 1;
    while (at < len && raw.charCodeAt(at) >= 48 && raw.charCodeAt(at) <= 57) at++;
    if (at === 1 || raw.charCodeAt(at) !== 44) return false;
    at++;
    // Check the maps: {"a":[..],"b":[..],"c":".."} ..., up to the '}' before the channel name.
    const mapsEnd = chQuote - 2;
    const spans = this.spans;
    let ns = 0;
    let cs = -1;
    let ce = -1;
    for (;;) {
      if (raw.charCodeAt(at) !== 123) return false;
      at++;
      // Only the last map's checksum counts, as when the frame is parsed.
      cs = -1;
      let seen = 0;
      for (;;) {
        if (raw.charCodeAt(at) !== 34 || raw.charCodeAt(at + 2) !== 34 || raw.charCodeAt(at + 3) !== 58) return false;
        const key = raw.charCodeAt(at + 1);
        const bit = key === 97 ? 1 : key === 98 ? 2 : key === 99 ? 4 : 0;
        if (bit === 0 || (seen & bit) !== 0) return false;
        seen |= bit;
        at += 4;
        if (bit === 4) {
          if (raw.charCodeAt(at) !== 34) return false;
          const q = raw.indexOf('"', at + 1);
          if (q < 0) return false;
          cs = at + 1;
          ce = q;
          at = q + 1;
        } else {
          const end = entriesEnd(raw, at);
          if (end < 0 || ns === 4) return false;
          spans[2 * ns] = key;
          spans[2 * ns + 1] = at;
          ns++;
          at = end;
        }
        const c = raw.charCodeAt(at++);
        if (c === 44) continue;
        if (c === 125) break;
        return false;
      }
      if (at - 1 === mapsEnd) break;
      if (at > mapsEnd || raw.charCodeAt(at) !== 44) return false;
      at++;
    }
    const sb = this.ctx.book(this.pairs.slice(raw, pairQuote + 1, len - 2));
    if (sb === undefined) return true;
    sb.counters.messages++;
    const st = this.state(sb);
    if (depth > 0) {
      st.depth = depth;
      sb.book.depthCap = depth;
    }
    if (sb.state !== 'live' && sb.state !== 'stale') return true;
    let latestMs = 0;
    let n = 0;
    for (let k = 0; k < ns; k++) {
      const isBid = spans[2 * k] === 98;
      const start = spans[2 * k + 1]! + 1;
      // Decimals of the whole array first, then its levels (as the parsed path does).
      for (let i = start; raw.charCodeAt(i) === 91; ) {
        i = readEntry(raw, i);
        this.noteDecimals(sb, st, fractionDigitsAt(raw, ENTRY[0]!, ENTRY[1]!), fractionDigitsAt(raw, ENTRY[2]!, ENTRY[3]!));
        if (raw.charCodeAt(i) === 44) i++;
      }
      for (let i = start; raw.charCodeAt(i) === 91; ) {
        i = readEntry(raw, i);
        if (!sb.setLevelAt(isBid, raw, ENTRY[0]!, ENTRY[1]!, ENTRY[2]!, ENTRY[3]!)) return true;
        const ms = krakenTimeToMsAt(raw, ENTRY[4]!, ENTRY[5]!);
        if (ms > latestMs) latestMs = ms;
        n++;
        if (raw.charCodeAt(i) === 44) i++;
      }
    }
    this.finishUpdate(sb, st, n, latestMs, cs < 0 ? undefined : raw.slice(cs, ce), recvTsNs);
    return true;
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
        const entries = m[key];
        if (Array.isArray(entries)) for (const e of entries as KrakenEntry[]) this.noteDecimals(sb, st, fractionDigits(e[0]), fractionDigits(e[1]));
        const k = this.applyEntries(sb, key === 'b', entries, latest);
        if (k < 0) return;
        n += k;
      }
    }
    const c = maps[maps.length - 1]!['c'];
    this.finishUpdate(sb, st, n, latest.ms, typeof c === 'string' ? c : undefined, recvTsNs);
  }

  /** After an update's `n` levels: truncation, checksum `c` (when sent), crossed book, counters. */
  private finishUpdate(sb: SymbolBook, st: SymbolState, n: number, latestMs: number, c: string | undefined, recvTsNs: bigint): void {
    sb.observe(recvTsNs, latestMs);
    // Truncate before the checksum: the exchange's top 10 is computed on the depth-N book.
    sb.book.enforceCap();
    if (c !== undefined && c.length > 0) {
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
  private noteDecimals(sb: SymbolBook, st: SymbolState, p: number, s: number): void {
    if (p === st.decimals.price && s === st.decimals.size) return;
    if (!st.decimalsNoticed) {
      this.ctx.notice('warn', `update decimals ${p}/${s} differ from the snapshot's ${st.decimals.price}/${st.decimals.size}`, sb.symbol);
      st.decimalsNoticed = true;
    }
    st.decimals = { price: p, size: s };
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
