/**
 * Bitget `books` session (v2, and the v1 dialect the 2022 recording speaks) plus trades.
 *
 * Docs followed (venues.md sections 13 and 16.8):
 * - https://www.bitget.com/api-doc/spot/websocket/public/Depth-Channel and
 *   https://www.bitget.com/api-doc/contract/websocket/public/Order-Book-Channel (`books`: first
 *   push `action:"snapshot"`, then `action:"update"`; merge rule; checksum section)
 * - https://www.bitget.org/api-doc/classic/spot/websocket/public/Depth-Channel (newer copy: "The
 *   seq of update incremental messages is incrementing except during symbol maintenance"; no
 *   checksum section)
 * - https://github.com/JKorf/Bitget.Net/pull/89 (2026-06: pushes carry `pseq`, the previous seq,
 *   and no `checksum`; "not in the official changelog")
 * - https://www.bitget.com/api-doc/common/websocket-intro (text "ping" every 30 s -> "pong";
 *   the server drops a socket without ping for 2 min and every socket after 24 h)
 *
 * Quirks carried here:
 * - Checksums only when present and non-zero (the field may be gone, venues.md 16.8); the text
 *   hashed is the original strings with their trailing zeros (bitgetLevelText.ts).
 * - Continuity, strongest rule available: `pseq` present -> it must equal the last applied `seq`;
 *   else `seq` present -> strictly increasing (the doc promises "incrementing", not "+1", so a
 *   jump is not a gap; a lower seq is a maintenance reset or a stale message, either way the book
 *   is resubscribed); neither (v1) -> the checksum is the loss detector and a byte-identical
 *   repeat of the last applied update is a duplicate (absolute sizes: dropping it is exact).
 * - v1 pushes echo instType lower-case ("sp", "mc"); requests use upper case ("SP", "MC").
 * - Resync = unsubscribe + subscribe: the answer starts with a fresh snapshot.
 */
import type { AnomalyKind } from '../../../../src-shared/model/market.ts';
import { parseScaled } from '../../../../src-shared/model/decimal.ts';
import type { ConnectionPlan, SessionContext, VenueSession } from '../venue.ts';
import { jsonObjectFrame } from '../jsonFrame.ts';
import { emitTrade, takerSide } from '../tradeOut.ts';
import { resubscribe } from '../resubscribe.ts';
import type { SymbolBook } from '../../sync/symbolBook.ts';
import { bitgetBookChecksum, bitgetBookChecksumText } from './bitgetChecksum.ts';
import { BitgetLevelText } from './bitgetLevelText.ts';
import { bitgetVenueSymbol, bitgetWireArg } from './bitgetSymbol.ts';
import type { BitgetDialect, BitgetWireArg } from './bitgetSymbol.ts';

type Level = [string, string, ...string[]];

interface BookData {
  asks?: Level[];
  bids?: Level[];
  checksum?: number;
  seq?: number;
  pseq?: number;
  ts?: string;
}

interface Arg {
  instType?: string;
  channel?: string;
  instId?: string;
}

interface Frame {
  event?: string;
  code?: number | string;
  msg?: string;
  action?: string;
  arg?: Arg;
  data?: unknown[];
}

export type BitgetContinuity = 'ok' | 'duplicate' | 'regress' | 'reset' | 'gap';

/**
 * Continuity of an update carrying `seq` (and maybe `pseq`) after the last applied `lastSeq`.
 * With `pseq` the chain is exact; without it only the order can be checked.
 */
export function bitgetContinuity(seq: number, pseq: number | undefined, lastSeq: number): BitgetContinuity {
  if (pseq !== undefined) {
    if (pseq === lastSeq) return 'ok';
    if (seq === lastSeq) return 'duplicate';
    if (seq < lastSeq) return 'regress';
    return 'gap';
  }
  if (seq > lastSeq) return 'ok';
  if (seq === lastSeq) return 'duplicate';
  return 'reset';
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

/** Per-book state beside the SymbolBook. */
interface BookState {
  text: BitgetLevelText;
  /** The wire arg this book was pushed under (resync resubscribes the same). */
  arg: BitgetWireArg;
  channel: string;
  /** Raw text of the last applied update (duplicate detection when there is no seq). */
  lastUpdateRaw: string;
}

const BOOK_CHANNELS = new Set(['books']);

/**
 * The original-text memory of each book a session keeps, so that a local replay server can cut a
 * snapshot frame whose strings (and so whose checksum) are the exchange's (bitgetReplay.ts).
 */
const LEVEL_TEXT = new WeakMap<SymbolBook, BitgetLevelText>();

/** The original-text memory of a book kept by a Bitget session, if any. */
export function bitgetLevelTextOf(sb: SymbolBook): BitgetLevelText | undefined {
  return LEVEL_TEXT.get(sb);
}

export class BitgetSession implements VenueSession {
  private readonly ctx: SessionContext;
  private readonly plan: ConnectionPlan;
  private readonly dialect: BitgetDialect;
  private readonly states = new Map<string, BookState>();
  /** Bitget wants the text "ping" at least every 30 s (server drops the socket after 2 min). */
  readonly keepalive = { intervalMs: 25_000, frame: (): string => 'ping' };

  constructor(ctx: SessionContext, plan: ConnectionPlan) {
    this.ctx = ctx;
    this.plan = plan;
    this.dialect = /\/(spot|mix)\/v1\//.test(plan.url) ? 'v1' : 'v2';
  }

  onOpen(): void {
    if (this.plan.venueSymbols.length === 0) return;
    const args = this.plan.venueSymbols.flatMap((s) => {
      const a = bitgetWireArg(s, this.dialect);
      return [
        { ...a, channel: 'books' },
        { ...a, channel: 'trade' },
      ];
    });
    // One request for all: Bitget counts 240 subscribe requests per hour per connection.
    this.ctx.send(JSON.stringify({ op: 'subscribe', args }));
  }

  private state(sb: SymbolBook, arg?: Arg): BookState {
    let st = this.states.get(sb.symbol);
    if (st === undefined) {
      st = { text: new BitgetLevelText(), arg: bitgetWireArg(sb.symbol, this.dialect), channel: 'books', lastUpdateRaw: '' };
      this.states.set(sb.symbol, st);
      LEVEL_TEXT.set(sb, st.text);
    }
    if (arg?.instType !== undefined && arg.instId !== undefined) st.arg = { instType: arg.instType.toUpperCase(), instId: arg.instId };
    if (arg?.channel !== undefined) st.channel = arg.channel;
    return st;
  }

  onMessage(raw: string, recvTsNs: bigint): void {
    if (raw === 'pong') return;
    const msg = jsonObjectFrame<Frame>(this.ctx, raw);
    if (msg === undefined) return;
    if (msg.event !== undefined) return this.onEvent(msg);
    const arg = msg.arg;
    if (arg?.channel === undefined || arg.instId === undefined || arg.instType === undefined || !Array.isArray(msg.data)) return;
    const venueSymbol = bitgetVenueSymbol(arg.instType, arg.instId);
    if (venueSymbol === undefined) return;
    if (BOOK_CHANNELS.has(arg.channel)) {
      const sb = this.ctx.book(venueSymbol);
      if (sb === undefined) return;
      for (const d of msg.data) this.onBook(sb, arg, msg.action, d as BookData, raw, recvTsNs);
      return;
    }
    // The first trade push is history from before the subscription: only updates are trades.
    if (arg.channel === 'trade' && msg.action === 'update') {
      for (const d of msg.data) this.onTrade(venueSymbol, d, recvTsNs);
    }
    // candles and tickers carry nothing the book needs.
  }

  private onEvent(msg: Frame): void {
    const what = msg.arg ? `${msg.arg.channel ?? '?'} ${msg.arg.instId ?? ''}`.trim() : '';
    if (msg.event === 'subscribe' || msg.event === 'unsubscribe') {
      this.ctx.notice('info', `${msg.event}d ${what}`);
      return;
    }
    if (msg.event === 'error') {
      this.ctx.notice('error', `venue error ${String(msg.code ?? '?')}: ${msg.msg ?? ''}${what ? ` (${what})` : ''}`);
      const a = msg.arg;
      const vs = a?.instType !== undefined && a.instId !== undefined ? bitgetVenueSymbol(a.instType, a.instId) : undefined;
      if (vs !== undefined && a?.channel !== undefined && BOOK_CHANNELS.has(a.channel)) {
        this.ctx.book(vs)?.anomaly('subscribe-error', `${String(msg.code ?? '?')}: ${msg.msg ?? ''}`);
      }
      return;
    }
    this.ctx.notice('info', `event ${msg.event ?? '?'} ${what}`);
  }

  private onBook(sb: SymbolBook, arg: Arg, action: string | undefined, d: BookData, raw: string, recvTsNs: bigint): void {
    sb.counters.messages++;
    const ts = d.ts !== undefined ? Number(d.ts) : 0;
    sb.observe(recvTsNs, Number.isFinite(ts) ? ts : 0);
    const st = this.state(sb, arg);
    if (action === 'snapshot') this.onSnapshotPush(sb, st, d);
    else if (action === 'update') this.onUpdate(sb, st, d, raw);
    else this.ctx.notice('warn', `book push with action ${JSON.stringify(action)}`, sb.symbol);
  }

  /** Set the levels of one side and remember their texts; -1 when a level was rejected. */
  private applySide(sb: SymbolBook, st: BookState, isBid: boolean, levels: Level[] | undefined): number {
    if (levels === undefined) return 0;
    const book = sb.book;
    let n = 0;
    for (const lv of levels) {
      const p = lv[0];
      const q = lv[1];
      if (!sb.setLevel(isBid, p, q)) return -1;
      const price = parseScaled(p, book.priceScale);
      st.text.record(isBid, price, book.priceScale, p, q, parseScaled(q, book.sizeScale) === 0);
      n++;
    }
    return n;
  }

  private onSnapshotPush(sb: SymbolBook, st: BookState, d: BookData): void {
    sb.book.clear();
    st.text.reset(sb.book.priceScale);
    st.lastUpdateRaw = '';
    const nb = this.applySide(sb, st, true, d.bids);
    const na = nb < 0 ? -1 : this.applySide(sb, st, false, d.asks);
    if (na < 0) {
      sb.book.clear();
      return;
    }
    sb.counters.snapshots++;
    // "All levels of depth" per the v2 doc; not stated for v1, so the book is trusted over the
    // range the snapshot covered.
    sb.book.markSnapshot('snapshot');
    sb.seq = isInt(d.seq) ? d.seq : -1;
    if (sb.seq > sb.lastSeenSeq) sb.lastSeenSeq = sb.seq;
    if (!this.checkBook(sb, st, d, 'snapshot')) return;
    sb.transition('live', 'snapshot', isInt(d.seq) ? `seq ${d.seq}` : 'in-band snapshot');
    sb.afterApply(nb + na);
  }

  private onUpdate(sb: SymbolBook, st: BookState, d: BookData, raw: string): void {
    // Before the first snapshot, or after an anomaly while the fresh snapshot is on its way.
    if (sb.state !== 'live' && sb.state !== 'stale') return;
    const hasSeq = isInt(d.seq) && sb.seq >= 0;
    if (hasSeq) {
      const seq = d.seq as number;
      if (seq > sb.lastSeenSeq) sb.lastSeenSeq = seq;
      const c = bitgetContinuity(seq, isInt(d.pseq) ? d.pseq : undefined, sb.seq);
      if (c === 'duplicate' || c === 'regress') {
        sb.anomaly(c, `update seq ${seq}${isInt(d.pseq) ? ` (pseq ${d.pseq})` : ''} at or before applied seq ${sb.seq}`);
        return;
      }
      if (c === 'gap') {
        sb.anomaly('gap', `expected pseq ${sb.seq}, got pseq ${String(d.pseq)} -> seq ${seq}`);
        return;
      }
      if (c === 'reset') {
        sb.anomaly('venue-reset', `seq went back from ${sb.seq} to ${seq} (Bitget: "incrementing except during symbol maintenance")`);
        return;
      }
    } else if (raw === st.lastUpdateRaw) {
      sb.anomaly('duplicate', 'byte-identical repeat of the last applied update');
      return;
    }
    const nb = this.applySide(sb, st, true, d.bids);
    const na = nb < 0 ? -1 : this.applySide(sb, st, false, d.asks);
    if (na < 0) return;
    if (hasSeq) sb.seq = d.seq as number;
    st.lastUpdateRaw = raw;
    if (!this.checkBook(sb, st, d, 'update')) return;
    if (sb.state === 'stale') sb.transition('live', 'fresh data');
    sb.afterApply(nb + na);
  }

  /** Checksum (when sent) and crossed-book check after a complete message. False when invalidated. */
  private checkBook(sb: SymbolBook, st: BookState, d: BookData, what: string): boolean {
    const expected = d.checksum;
    if (!isInt(expected) || expected === 0) {
      sb.checksum('not-provided');
    } else {
      const got = bitgetBookChecksum(sb.book, st.text);
      if (got !== expected) {
        sb.checksum('mismatch', `${what} checksum ${expected}, local ${got} over "${bitgetBookChecksumText(sb.book, st.text).slice(0, 160)}"`);
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

  private onTrade(venueSymbol: string, d: unknown, recvTsNs: bigint): void {
    // v1: ["ts", "price", "size", "side"]; v2: {ts, price, size, side, tradeId}. side = taker side.
    let ts: string | undefined;
    let px: string | undefined;
    let sz: string | undefined;
    let side: string | undefined;
    let id = '';
    if (Array.isArray(d)) {
      [ts, px, sz, side] = d as (string | undefined)[];
    } else if (d !== null && typeof d === 'object') {
      const t = d as { ts?: string; price?: string; size?: string; side?: string; tradeId?: string };
      ({ ts, price: px, size: sz, side } = t);
      id = t.tradeId ?? '';
    }
    const sb = this.ctx.book(venueSymbol);
    if (sb === undefined || typeof px !== 'string' || typeof sz !== 'string') return;
    const exchTsMs = ts !== undefined ? Number(ts) : 0;
    emitTrade(this.ctx, sb, recvTsNs, {
      priceText: px,
      sizeText: sz,
      // v1 trades carry no id: the exchange time stands in (not unique across simultaneous fills).
      tradeId: id || (ts ?? ''),
      takerSide: takerSide(side, 'buy', 'sell'),
      exchTsMs: Number.isFinite(exchTsMs) ? exchTsMs : 0,
    });
  }

  /** Unsubscribe + subscribe the book: Bitget answers with a fresh snapshot. */
  resync(venueSymbol: string, cause: AnomalyKind): void {
    const sb = this.ctx.book(venueSymbol);
    if (sb === undefined) return;
    const st = this.state(sb);
    st.lastUpdateRaw = '';
    sb.seq = -1;
    const arg = { ...st.arg, channel: st.channel };
    resubscribe(this.ctx, sb, cause, { unsubscribe: { op: 'unsubscribe', args: [arg] }, subscribe: { op: 'subscribe', args: [arg] } });
  }

  onClose(): void {
    for (const sb of this.ctx.books()) {
      const st = this.states.get(sb.symbol);
      if (st !== undefined) st.lastUpdateRaw = '';
      sb.seq = -1;
      sb.transition('connecting', 'reconnect', 'socket closed');
    }
  }
}
