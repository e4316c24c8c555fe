/**
 * Kraken spot WebSocket v2 session (`wss://ws.kraken.com/v2`): `book` with CRC-32 checksum on
 * the snapshot and on every update, `instrument` for the checksum precisions, `trade`.
 *
 * Docs followed (venues.md section 9):
 * - https://docs.kraken.com/api/docs/websocket-v2/book (subscribe/ack, snapshot/update layouts,
 *   depth 10/25/100/500/1000, one book object per message)
 * - https://docs.kraken.com/api/docs/guides/spot-ws-book-v2 (maintaining the book, checksum)
 * - https://docs.kraken.com/api/docs/websocket-v2/instrument (price_precision / qty_precision)
 * - https://docs.kraken.com/api/docs/websocket-v2/trade (sequential trade_id, taker side)
 * - https://docs.kraken.com/api/docs/websocket-v2/heartbeat, .../websocket-v2/ping,
 *   .../websocket-v2/status
 *
 * Quirks carried here:
 * - Frames are JSON objects: data `{"channel","type":"snapshot"|"update","data":[...]}`, request
 *   answers `{"method","result","success","error","req_id"}`. Symbols use BTC, not XBT.
 * - `price` and `qty` are JSON numbers "pushed onto the wire containing full precision" (book
 *   guide): they are decoded from their source text (parseJsonExact), never through a double.
 * - The numbers drop trailing zeros ("qty": 0.1 for 0.10000000), yet the checksum renders every
 *   value at the pair's fixed precision. The precisions come from the `instrument` channel, which
 *   is subscribed before the books on every connection (Kraken answers requests in order, so the
 *   instrument snapshot normally precedes the first book snapshot). Until it has arrived the
 *   session learns the decimals from the book text, as v1 does: the most fractional digits any
 *   level has shown since the snapshot. That is a lower bound of the precision and is right as
 *   soon as one level uses every digit (in both documentation examples it is); a wrong guess is a
 *   checksum mismatch, which resyncs the pair, by then with the instrument precisions.
 * - The checksum (top 10 asks then top 10 bids, '.' removed, leading zeros stripped, CRC-32
 *   unsigned) is on the snapshot too: the book is checked before it goes live.
 * - Apply every level in array order, then truncate each side to the subscribed depth: levels
 *   pushed out of scope are not deleted by the server (book guide). No sequence numbers: the
 *   checksum is the only loss detector, and it covers the top 10 levels only.
 * - A failed request (`success: false`) is a notice; for a book request naming a symbol it is
 *   also a 'subscribe-error' anomaly on that pair. Requests carry a `req_id` per channel so the
 *   answer tells which subscription failed. Error answers name the pair at the top level
 *   (`{"error":"Currency pair not supported XBT/USD","method":"subscribe","success":false,
 *   "symbol":"XBT/USD",...}`, trade doc): v2 refuses the v1 codes.
 * - Books keep their configured names (the default configuration says "XBT/USD"); the session
 *   puts the v2 name on the wire ("BTC/USD", krakenWireSymbol.ts) and maps every symbol it reads
 *   back to the book's name. Two configured names of one v2 pair share one subscription: the
 *   first gets the book, the other is reported.
 * - Trades carry a sequential integer `trade_id` per pair: used as the trade id, and a trade at or
 *   below the last one seen is a repeat and dropped.
 */
import type { AnomalyKind } from '../../../../src-shared/model/market.ts';
import { requiredScale } from '../../../../src-shared/model/decimal.ts';
import { asArray, asObject, asSafeInteger, asText } from '../../../../src-shared/model/jsonExact.ts';
import type { ExactJson, ExactObject } from '../../../../src-shared/model/jsonExact.ts';
import type { ConnectionPlan, SessionContext, VenueSession } from '../venue.ts';
import { exactObjectFrame } from '../jsonFrame.ts';
import { krakenLevelTexts } from './krakenLevelTexts.ts';
import { emitTrade, takerSide } from '../tradeOut.ts';
import { resubscribe } from '../resubscribe.ts';
import type { SymbolBook } from '../../sync/symbolBook.ts';
import { krakenBookChecksum, krakenBookChecksumText } from './krakenChecksum.ts';
import { krakenWireSymbol } from './krakenWireSymbol.ts';
import type { WireDecimals } from './krakenChecksum.ts';

/** Depth subscribed by default: the deepest Kraken offers, as the v1 recordings were taken. */
export const KRAKEN_V2_DEFAULT_DEPTH = 1000;

/** req_id of each kind of request, so that an error answer names its subscription. */
export const KRAKEN_V2_REQ = { instrument: 1, book: 2, trade: 3 } as const;

/** Where the checksum decimals of a pair come from. */
export type DecimalsSource = 'instrument' | 'learned';

interface PairState {
  decimals: WireDecimals;
  source: DecimalsSource;
  /** Depth this book is subscribed with (from the subscribe ack, else the requested one). */
  depth: number;
  /** Highest trade_id seen (trades are numbered per pair, sequentially). */
  lastTradeId: number;
}

/** RFC 3339 UTC time ("2023-10-06T17:35:55.440295Z") -> integer milliseconds, without floats. */
export function rfc3339ToMs(s: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?Z$/.exec(s);
  if (!m) return 0;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  return ms + Number((m[7] ?? '').slice(0, 3).padEnd(3, '0'));
}

/** Fractional digits a JSON number's text needs ("0.5666" -> 4, "18097.1547" -> 4, "1e-08" -> 8). */
function digitsOf(text: string): number {
  return requiredScale(text);
}

export class KrakenV2Session implements VenueSession {
  private readonly ctx: SessionContext;
  private readonly depth: number;
  /** Per book (configured name). */
  private readonly pairs = new Map<string, PairState>();
  /** price_precision / qty_precision of every pair the instrument channel has named (v2 names). */
  private readonly precisions = new Map<string, WireDecimals>();
  /** v2 name -> book name, for the books of this connection. */
  private readonly bookOf = new Map<string, string>();
  /** Book names whose v2 pair another configured name already holds. */
  private readonly shadowed: string[] = [];
  /** Kraken v2 answers {"method":"ping"} with {"method":"pong"}; heartbeats flow when idle. */
  readonly keepalive = { intervalMs: 30_000, frame: (): string => '{"method":"ping"}' };

  constructor(ctx: SessionContext, plan: ConnectionPlan, depth = KRAKEN_V2_DEFAULT_DEPTH) {
    this.ctx = ctx;
    this.depth = depth;
    for (const s of plan.venueSymbols) {
      const wire = krakenWireSymbol(s, 'v2');
      if (this.bookOf.has(wire)) this.shadowed.push(s);
      else this.bookOf.set(wire, s);
    }
  }

  /** The v2 name of a book ("XBT/USD" -> "BTC/USD"). */
  private wire(book: string): string {
    return krakenWireSymbol(book, 'v2');
  }

  /** The book name of a v2 symbol read from the wire (itself when no book of this connection has it). */
  private bookName(wire: string): string {
    return this.bookOf.get(wire) ?? wire;
  }

  /** Checksum decimals of a pair and where they came from (diagnostics, tests). */
  decimalsOf(symbol: string): { decimals: WireDecimals; source: DecimalsSource } | undefined {
    const st = this.pairs.get(symbol);
    return st === undefined ? undefined : { decimals: { ...st.decimals }, source: st.source };
  }

  onOpen(): void {
    const symbol = [...this.bookOf.keys()];
    if (symbol.length === 0) return;
    for (const s of this.shadowed) {
      this.ctx.notice('warn', `${s} is the v2 pair ${this.wire(s)}, already subscribed for ${this.bookName(this.wire(s))}: configure one name per pair`, s);
    }
    // The instrument channel first: its snapshot carries the precisions the book checksums need.
    this.ctx.send(JSON.stringify({ method: 'subscribe', params: { channel: 'instrument', snapshot: true }, req_id: KRAKEN_V2_REQ.instrument }));
    this.ctx.send(JSON.stringify({ method: 'subscribe', params: { channel: 'book', symbol, depth: this.depth, snapshot: true }, req_id: KRAKEN_V2_REQ.book }));
    // No trade snapshot: the last 50 trades before the subscription are history, not live prints.
    this.ctx.send(JSON.stringify({ method: 'subscribe', params: { channel: 'trade', symbol, snapshot: false }, req_id: KRAKEN_V2_REQ.trade }));
  }

  private state(symbol: string): PairState {
    let st = this.pairs.get(symbol);
    if (st === undefined) {
      const known = this.precisions.get(this.wire(symbol));
      st = {
        decimals: known ? { ...known } : { price: 0, size: 0 },
        source: known ? 'instrument' : 'learned',
        depth: this.depth,
        lastTradeId: -1,
      };
      this.pairs.set(symbol, st);
    }
    return st;
  }

  onMessage(raw: string, recvTsNs: bigint): void {
    if (raw === '{"channel":"heartbeat"}') return;
    const msg = exactObjectFrame(this.ctx, raw);
    if (msg === undefined) return;
    const channel = asText(msg['channel']);
    if (channel !== undefined) return this.onChannel(channel, msg, recvTsNs);
    if (asText(msg['method']) !== undefined || msg['success'] !== undefined) return this.onAnswer(msg);
    this.ctx.notice('warn', `unexpected frame ${raw.slice(0, 80)}`);
  }

  private onChannel(channel: string, msg: ExactObject, recvTsNs: bigint): void {
    const type = asText(msg['type']);
    switch (channel) {
      case 'heartbeat':
        return;
      case 'book':
        for (const d of asArray(msg['data']) ?? []) this.onBook(type, asObject(d), recvTsNs);
        return;
      case 'instrument':
        return this.onInstrument(asObject(msg['data']));
      case 'trade':
        // The snapshot (if one was asked for) is history: only live updates are prints.
        if (type === 'update') for (const d of asArray(msg['data']) ?? []) this.onTrade(asObject(d), recvTsNs);
        return;
      case 'status':
        for (const d of asArray(msg['data']) ?? []) {
          const o = asObject(d);
          const system = o === undefined ? undefined : asText(o['system']);
          // "online", or "maintenance" / "cancel_only" / "post_only".
          this.ctx.notice(system === 'online' ? 'info' : 'warn', `system status ${system ?? '?'}${o && asText(o['version']) ? ` (v${asText(o['version'])})` : ''}`);
        }
        return;
      default:
        // ticker, ohlc, level3 ...: nothing the book needs.
        return;
    }
  }

  /** Answer to one of our requests (subscribe, unsubscribe, ping). */
  private onAnswer(msg: ExactObject): void {
    const method = asText(msg['method']) ?? '?';
    if (method === 'pong') return;
    const result = asObject(msg['result']);
    const wireSymbol = asText(msg['symbol']) ?? (result === undefined ? undefined : asText(result['symbol']));
    const symbol = wireSymbol === undefined ? undefined : this.bookName(wireSymbol);
    const reqId = asSafeInteger(msg['req_id']);
    const channel = (result === undefined ? undefined : asText(result['channel'])) ?? channelOfReq(reqId);
    if (msg['success'] === false) {
      const error = asText(msg['error']) ?? 'request failed';
      this.ctx.notice('error', `${method} ${channel ?? '?'} failed: ${error}`, symbol);
      // A failed book request, or a failed subscribe that names a pair but not its channel (the
      // trade doc's own error example carries neither result nor req_id): the pair's book cannot
      // be live. Its resync asks for the book alone, so a trade-only failure costs one resubscribe.
      const bookFailed = channel === 'book' || (channel === undefined && method === 'subscribe');
      if (bookFailed && symbol !== undefined) this.ctx.book(symbol)?.anomaly('subscribe-error', error);
      return;
    }
    if (method === 'subscribe' && channel === 'book' && symbol !== undefined && result !== undefined) {
      const depth = asSafeInteger(result['depth']);
      if (depth > 0) {
        this.state(symbol).depth = depth;
        const sb = this.ctx.book(symbol);
        if (sb !== undefined) sb.book.depthCap = depth;
      }
    }
    for (const w of asArray(result?.['warnings']) ?? []) this.ctx.notice('info', `${channel ?? '?'}: ${asText(w) ?? ''}`, symbol);
    this.ctx.notice('info', `${method} ${channel ?? '?'} ok`, symbol);
  }

  private onInstrument(data: ExactObject | undefined): void {
    for (const p of asArray(data?.['pairs']) ?? []) {
      const o = asObject(p);
      const wireSymbol = o === undefined ? undefined : asText(o['symbol']);
      if (o === undefined || wireSymbol === undefined) continue;
      const price = asSafeInteger(o['price_precision']);
      const size = asSafeInteger(o['qty_precision']);
      if (!(price >= 0 && size >= 0)) continue;
      const dec = { price, size };
      this.precisions.set(wireSymbol, dec);
      const symbol = this.bookName(wireSymbol);
      const st = this.pairs.get(symbol);
      if (st === undefined) continue;
      if (st.source === 'learned' && (st.decimals.price !== price || st.decimals.size !== size)) {
        this.ctx.notice('info', `checksum decimals ${price}/${size} from the instrument channel replace ${st.decimals.price}/${st.decimals.size} learnt from the book`, symbol);
      } else if (st.source === 'instrument' && (st.decimals.price !== price || st.decimals.size !== size)) {
        this.ctx.notice('warn', `instrument precision changed from ${st.decimals.price}/${st.decimals.size} to ${price}/${size}`, symbol);
      }
      st.decimals = dec;
      st.source = 'instrument';
    }
  }

  private onBook(type: string | undefined, d: ExactObject | undefined, recvTsNs: bigint): void {
    const wireSymbol = d === undefined ? undefined : asText(d['symbol']);
    if (d === undefined || wireSymbol === undefined) {
      this.ctx.notice('warn', 'book message without a symbol');
      return;
    }
    const symbol = this.bookName(wireSymbol);
    const sb = this.ctx.book(symbol);
    if (sb === undefined) return;
    sb.counters.messages++;
    const asks = krakenLevelTexts(d['asks']);
    const bids = krakenLevelTexts(d['bids']);
    if (asks === undefined || bids === undefined) {
      sb.anomaly('invalid-price', 'book message with malformed levels');
      return;
    }
    const st = this.state(symbol);
    const ts = asText(d['timestamp']);
    const exchTsMs = ts === undefined ? 0 : rfc3339ToMs(ts);
    if (type === 'snapshot') this.applySnapshot(sb, st, asks, bids, d['checksum'], recvTsNs, exchTsMs);
    else if (type === 'update') this.applyUpdate(sb, st, asks, bids, d['checksum'], recvTsNs, exchTsMs);
    else this.ctx.notice('warn', `book message of type ${JSON.stringify(type)}`, symbol);
  }

  /** Set levels in array order; -1 when one was rejected (SymbolBook raised the anomaly). */
  private applyLevels(sb: SymbolBook, isBid: boolean, levels: readonly [string, string][]): number {
    for (const [price, qty] of levels) if (!sb.setLevel(isBid, price, qty)) return -1;
    return levels.length;
  }

  /** While the instrument precisions are unknown, widen the learnt decimals to what the text shows. */
  private learn(st: PairState, levels: readonly [string, string][]): void {
    if (st.source !== 'learned') return;
    for (const [price, qty] of levels) {
      const p = digitsOf(price);
      const s = digitsOf(qty);
      if (p > st.decimals.price) st.decimals.price = p;
      if (s > st.decimals.size) st.decimals.size = s;
    }
  }

  private applySnapshot(sb: SymbolBook, st: PairState, asks: [string, string][], bids: [string, string][], checksum: ExactJson | undefined, recvTsNs: bigint, exchTsMs: number): void {
    if (st.source === 'learned') st.decimals = { price: 0, size: 0 };
    this.learn(st, asks);
    this.learn(st, bids);
    sb.book.clear();
    sb.book.depthCap = st.depth;
    const na = this.applyLevels(sb, false, asks);
    const nb = na < 0 ? -1 : this.applyLevels(sb, true, bids);
    if (nb < 0) {
      sb.book.clear();
      return;
    }
    sb.observe(recvTsNs, exchTsMs);
    sb.counters.snapshots++;
    sb.book.enforceCap();
    sb.book.markSnapshot('window');
    if (!this.check(sb, st, checksum, 'snapshot')) return;
    sb.transition('live', 'snapshot', `${asks.length} asks / ${bids.length} bids, checksum decimals ${st.decimals.price}/${st.decimals.size} (${st.source})`);
    sb.afterApply(na + nb);
  }

  private applyUpdate(sb: SymbolBook, st: PairState, asks: [string, string][], bids: [string, string][], checksum: ExactJson | undefined, recvTsNs: bigint, exchTsMs: number): void {
    if (sb.state !== 'live' && sb.state !== 'stale') {
      // Before the snapshot, or after an anomaly while the fresh snapshot is on its way.
      return;
    }
    this.learn(st, asks);
    this.learn(st, bids);
    const na = this.applyLevels(sb, false, asks);
    const nb = na < 0 ? -1 : this.applyLevels(sb, true, bids);
    if (nb < 0) return;
    sb.observe(recvTsNs, exchTsMs);
    // Truncate before the checksum: the exchange's top 10 is computed on the depth-N book.
    sb.book.enforceCap();
    if (!this.check(sb, st, checksum, 'update')) return;
    if (sb.state === 'stale') sb.transition('live', 'fresh data');
    sb.afterApply(na + nb);
  }

  /** Checksum and crossed-book checks after a complete message. False when the book was invalidated. */
  private check(sb: SymbolBook, st: PairState, checksum: ExactJson | undefined, what: string): boolean {
    const expected = asSafeInteger(checksum);
    if (Number.isNaN(expected)) {
      sb.checksum('not-provided');
    } else {
      const got = krakenBookChecksum(sb.book, st.decimals);
      if (got !== expected) {
        sb.checksum('mismatch', `${what} checksum ${expected}, local ${got} at decimals ${st.decimals.price}/${st.decimals.size} (${st.source}) over "${krakenBookChecksumText(sb.book, st.decimals).slice(0, 160)}"`);
        return false;
      }
      sb.checksum('ok');
    }
    if (sb.book.isCrossed()) {
      sb.anomaly('crossed-book', `best bid ${sb.book.bids.bestPrice()} >= best ask ${sb.book.asks.bestPrice()} at scale ${sb.book.priceScale}`);
      return false;
    }
    return true;
  }

  private onTrade(t: ExactObject | undefined, recvTsNs: bigint): void {
    const wireSymbol = t === undefined ? undefined : asText(t['symbol']);
    if (t === undefined || wireSymbol === undefined) return;
    const symbol = this.bookName(wireSymbol);
    const sb = this.ctx.book(symbol);
    const px = asText(t['price']);
    const qty = asText(t['qty']);
    if (sb === undefined || px === undefined || qty === undefined) return;
    const st = this.state(symbol);
    const tradeId = asSafeInteger(t['trade_id']);
    if (!Number.isNaN(tradeId)) {
      if (tradeId <= st.lastTradeId) return;
      st.lastTradeId = tradeId;
    }
    const ts = asText(t['timestamp']);
    emitTrade(this.ctx, sb, recvTsNs, {
      priceText: px,
      sizeText: qty,
      tradeId: Number.isNaN(tradeId) ? `${ts ?? ''}-${px}-${qty}` : String(tradeId),
      // v2 `side` is the side of the taker order (trade doc).
      takerSide: takerSide(asText(t['side']), 'buy', 'sell'),
      exchTsMs: ts === undefined ? 0 : rfc3339ToMs(ts),
    });
  }

  /** Unsubscribe + subscribe the pair's book: Kraken answers with a fresh, checksummed snapshot. */
  resync(venueSymbol: string, cause: AnomalyKind): void {
    const sb = this.ctx.book(venueSymbol);
    if (sb === undefined) return;
    const st = this.state(venueSymbol);
    const symbol = [this.wire(venueSymbol)];
    resubscribe(this.ctx, sb, cause, {
      unsubscribe: { method: 'unsubscribe', params: { channel: 'book', symbol, depth: st.depth }, req_id: KRAKEN_V2_REQ.book },
      subscribe: { method: 'subscribe', params: { channel: 'book', symbol, depth: st.depth, snapshot: true }, req_id: KRAKEN_V2_REQ.book },
    });
  }

  onClose(): void {
    for (const sb of this.ctx.books()) sb.transition('connecting', 'reconnect', 'socket closed');
  }
}

function channelOfReq(reqId: number): string | undefined {
  switch (reqId) {
    case KRAKEN_V2_REQ.instrument:
      return 'instrument';
    case KRAKEN_V2_REQ.book:
      return 'book';
    case KRAKEN_V2_REQ.trade:
      return 'trade';
    default:
      return undefined;
  }
}
