/**
 * OKX v5 public order-book session (`books`, `books-l2-tbt`) and trades.
 *
 * Docs followed (venues.md section 6):
 * - https://www.okx.com/docs-v5/en/#order-book-trading-market-data-ws-order-book-channel
 *   (snapshot/update, seqId/prevSeqId rules, keep-alive update, maintenance reset, checksum)
 * - https://www.okx.com/docs-v5/en/#overview-websocket-connect (subscribe/unsubscribe ops,
 *   text "ping" -> "pong" keepalive, error and notice events)
 * - https://www.okx.com/docs-v5/en/#order-book-trading-market-data-ws-trades-channel
 *
 * Quirks carried here:
 * - The snapshot is in band: the first message after subscribing is `action: "snapshot"` and
 *   replaces the book; every later snapshot replaces it again. Re-subscribing without an
 *   unsubscribe makes OKX send a fresh snapshot, so two identical snapshots back to back are real
 *   (okx/cryptofeed_books-l2-tbt_2022-02-27: three cumulative subscribe requests).
 * - Continuity: an update applies iff `prevSeqId == seqId of the last applied message`. That one
 *   rule also accepts the documented empty keep-alive update (seqId == prevSeqId == last, sent
 *   after ~60 s without changes) and the maintenance reset (seqId < prevSeqId while prevSeqId
 *   still chains). A repeat of the last message is a duplicate, an older message a regress; both
 *   are dropped. Anything else is a gap: unsubscribe + subscribe for a fresh snapshot.
 * - Recordings from 2022 carry no seqId/prevSeqId (OKX added them later). There the checksum is
 *   the loss detector, and a byte-identical repeat of the last applied update is a duplicate:
 *   levels carry absolute sizes, so dropping it leaves the same book as applying it twice.
 * - Checksum: CRC-32 of the top 25 levels (okxChecksum.ts), signed compare; 0 or absent = not
 *   provided (OKX fixed the field to 0 on 2026-06-23), never a failure.
 * - Crossed book: "during pre-open/call auction the best ask may be lower than the best bid"
 *   (order book channel doc), so a crossed OKX book is reported as a notice, not resynced.
 * - Depth: both channels carry the top 400 levels; the doc does not say whether levels leaving
 *   the window are deleted, so the book is trimmed to 400 (spec depthCap) and trusted as a window.
 * - Level = [price, size, "0" (deprecated liquidated orders), order count]; size 0 deletes.
 */
import type { AnomalyKind } from '../../../../src-shared/model/market.ts';
import type { ConnectionPlan, SessionContext, VenueSession } from '../venue.ts';
import { jsonObjectFrame } from '../jsonFrame.ts';
import { emitTrade, takerSide } from '../tradeOut.ts';
import { resubscribe } from '../resubscribe.ts';
import { setLevels } from '../setLevels.ts';
import { RecentText, scanInt, scanString, valueIndex } from '../../../../src-shared/model/jsonScan.ts';
import type { SymbolBook } from '../../sync/symbolBook.ts';
import { okxBookChecksum, okxBookChecksumText } from './okxChecksum.ts';

export type OkxBookChannel = 'books' | 'books-l2-tbt';

const BOOK_CHANNELS: ReadonlySet<string> = new Set<OkxBookChannel>(['books', 'books-l2-tbt']);

type OkxLevel = [string, string, ...string[]];

interface OkxBookData {
  asks?: OkxLevel[];
  bids?: OkxLevel[];
  ts?: string;
  checksum?: number;
  seqId?: number;
  prevSeqId?: number;
}

interface OkxTradeData {
  instId?: string;
  tradeId?: string;
  px?: string;
  sz?: string;
  side?: string;
  ts?: string;
}

interface OkxFrame {
  event?: string;
  code?: string;
  msg?: string;
  arg?: { channel?: string; instId?: string };
  action?: string;
  data?: unknown[];
}

export type OkxContinuity = 'ok' | 'duplicate' | 'regress' | 'gap';

/**
 * The OKX sequence rule for an update with `prevSeqId`/`seqId` after the last applied `lastSeqId`
 * (order book channel doc, "seqId" / "prevSeqId"; doc example snapshot(-1 -> 10), update(10 -> 15),
 * empty(15 -> 15), reset(15 -> 3), update(3 -> 5)).
 */
export function okxContinuity(prevSeqId: number, seqId: number, lastSeqId: number): OkxContinuity {
  // Normal update, empty keep-alive (seqId == prevSeqId) and maintenance reset (seqId < prevSeqId)
  // all chain through prevSeqId.
  if (prevSeqId === lastSeqId) return 'ok';
  if (seqId === lastSeqId) return 'duplicate';
  if (seqId < lastSeqId && prevSeqId < lastSeqId) return 'regress';
  return 'gap';
}

/** Per-instrument state beside the generic SymbolBook. */
interface SymbolState {
  /** Channel that carries this book on this connection (resync resubscribes the same one). */
  channel: OkxBookChannel;
  /** Raw text of the last applied update (duplicate detection when seqId is absent). */
  lastUpdateRaw: string;
  /** The book is crossed and the notice for this episode was given. */
  crossed: boolean;
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

export class OkxSession implements VenueSession {
  private readonly ctx: SessionContext;
  private readonly plan: ConnectionPlan;
  private readonly channel: OkxBookChannel;
  private readonly states = new Map<string, SymbolState>();
  /** OKX closes a connection that received nothing for 30 s; the client pings when idle. */
  readonly keepalive = { intervalMs: 20_000, frame: (): string => 'ping' };

  constructor(ctx: SessionContext, plan: ConnectionPlan, channel: OkxBookChannel = 'books') {
    this.ctx = ctx;
    this.plan = plan;
    this.channel = channel;
  }

  onOpen(): void {
    if (this.plan.venueSymbols.length === 0) return;
    // One op for every channel of the connection: OKX counts 480 subscribe ops per hour per
    // connection, not args.
    const args = this.plan.venueSymbols.flatMap((instId) => [
      { channel: this.channel, instId },
      { channel: 'trades', instId },
    ]);
    this.ctx.send(JSON.stringify({ op: 'subscribe', args }));
  }

  private state(sb: SymbolBook, channel?: OkxBookChannel): SymbolState {
    let st = this.states.get(sb.symbol);
    if (st === undefined) {
      st = { channel: channel ?? this.channel, lastUpdateRaw: '', crossed: false };
      this.states.set(sb.symbol, st);
    } else if (channel !== undefined) {
      st.channel = channel;
    }
    return st;
  }

  onMessage(raw: string, recvTsNs: bigint): void {
    if (raw === 'pong') return;
    // Hot path: book updates and snapshots are scanned in place (documented layout, one data element).
    if (raw.startsWith('{"arg":{"channel":"books') && this.scanBook(raw, recvTsNs)) return;
    const msg = jsonObjectFrame<OkxFrame>(this.ctx, raw);
    if (msg === undefined) return;
    if (msg.event !== undefined) return this.onEvent(msg);
    const channel = msg.arg?.channel;
    const instId = msg.arg?.instId;
    if (channel === undefined || instId === undefined || !Array.isArray(msg.data)) return;
    if (BOOK_CHANNELS.has(channel)) {
      const sb = this.ctx.book(instId);
      if (sb === undefined) return;
      for (const d of msg.data) this.onBook(sb, channel as OkxBookChannel, msg.action, d as OkxBookData, raw, recvTsNs);
      return;
    }
    if (channel === 'trades') {
      for (const d of msg.data) this.onTrade(instId, d as OkxTradeData, recvTsNs);
    }
    // tickers and other channels carry nothing the book needs.
  }

  /** Instruments of scanned frames (the previous one compared in place: no new string to hash). */
  private readonly instIds = new RecentText();

  /**
   * `update` or `snapshot` on a book channel, scanned in place: `{"arg":{"channel":..,"instId":..},
   * "action":"update","data":[{"asks":[..],"bids":[..],"ts":"..","checksum":N,"seqId":N,
   * "prevSeqId":N}]}`. Returns false, having applied nothing, for anything else (several data
   * elements, another layout): the caller then parses the frame.
   */
  private scanBook(raw: string, recvTsNs: bigint): boolean {
    const chAt = valueIndex(raw, '"channel":');
    const channel = raw.startsWith('"books-l2-tbt"', chAt) ? 'books-l2-tbt' : raw.startsWith('"books"', chAt) ? 'books' : undefined;
    if (channel === undefined) return false;
    const instAt = valueIndex(raw, '"instId":', chAt);
    const actionAt = valueIndex(raw, '"action":', instAt);
    const snapshot = raw.startsWith('"snapshot"', actionAt);
    if (instAt < 0 || actionAt < 0 || (!snapshot && !raw.startsWith('"update"', actionAt))) return false;
    const dataAt = valueIndex(raw, '"data":', actionAt);
    // One data element; the frame ends with it (no "},{" between elements).
    if (dataAt < 0 || !raw.startsWith('[{', dataAt) || !raw.endsWith('}]}') || raw.indexOf('},{', dataAt) >= 0) return false;
    const asksAt = valueIndex(raw, '"asks":', dataAt);
    // "bids" follows the asks array: jump to its end (']' is rare in level text; a search for the
    // key would stop at every '"' of the asks).
    let bidsAt = -1;
    if (asksAt >= 0) {
      const asksEnd = raw.charCodeAt(asksAt + 1) === 93 ? asksAt + 2 : raw.indexOf(']]', asksAt) + 2;
      if (asksEnd >= 2 && raw.startsWith(',"bids":[', asksEnd)) bidsAt = asksEnd + 8;
    }
    if (bidsAt < 0) bidsAt = valueIndex(raw, '"bids":', dataAt);
    // The scalar fields follow the two arrays.
    const tail = raw.lastIndexOf(']', raw.length - 3);
    if (asksAt < 0 || bidsAt < 0 || tail < asksAt || tail < bidsAt) return false;
    const tsText = scanString(raw, '"ts":', tail);
    const checksum = scanInt(raw, '"checksum":', tail);
    const seqId = scanInt(raw, '"seqId":', tail);
    const prevSeqId = scanInt(raw, '"prevSeqId":', tail);
    const instId = this.instIds.quoted(raw, instAt);
    // OKX always sends ts after the arrays; a frame without it there is not this layout.
    if (instId === undefined || tsText === undefined) return false;
    const sb = this.ctx.book(instId);
    if (sb === undefined) return true;
    sb.counters.messages++;
    const exchTsMs = tsText !== undefined ? Number(tsText) : 0;
    sb.observe(recvTsNs, Number.isFinite(exchTsMs) ? exchTsMs : 0);
    const st = this.state(sb, channel);
    const levels = (): number => {
      const b = sb.applyLevelPairs(true, raw, bidsAt);
      const nb = sb.pairsApplied;
      if (b < 0 || sb.applyLevelPairs(false, raw, asksAt) < 0) {
        // A rejected level has reported its anomaly already; text that is not a level array has not.
        if (sb.state === 'live' || sb.state === 'stale') sb.anomaly('invalid-price', 'book update level arrays do not parse');
        return -1;
      }
      return nb + sb.pairsApplied;
    };
    if (snapshot) this.applySnapshot(sb, st, seqId, checksum, levels);
    else this.applyUpdate(sb, st, seqId, prevSeqId, checksum, raw, levels);
    return true;
  }

  private onEvent(msg: OkxFrame): void {
    const what = msg.arg ? `${msg.arg.channel ?? '?'} ${msg.arg.instId ?? ''}`.trim() : '';
    switch (msg.event) {
      case 'subscribe':
      case 'unsubscribe':
        this.ctx.notice('info', `${msg.event}d ${what}`, msg.arg?.instId);
        return;
      case 'error': {
        this.ctx.notice('error', `venue error ${msg.code ?? '?'}: ${msg.msg ?? ''}${what ? ` (${what})` : ''}`, msg.arg?.instId);
        const instId = msg.arg?.instId;
        if (instId !== undefined && msg.arg?.channel !== undefined && BOOK_CHANNELS.has(msg.arg.channel)) {
          this.ctx.book(instId)?.anomaly('subscribe-error', `${msg.code ?? '?'}: ${msg.msg ?? ''}`);
        }
        return;
      }
      case 'notice':
        // e.g. 64008 "The connection will soon be closed for a service upgrade".
        this.ctx.notice('warn', `venue notice ${msg.code ?? '?'}: ${msg.msg ?? ''}`);
        return;
      default:
        this.ctx.notice('info', `event ${msg.event ?? '?'} ${what}`);
    }
  }

  private onBook(sb: SymbolBook, channel: OkxBookChannel, action: string | undefined, d: OkxBookData, raw: string, recvTsNs: bigint): void {
    sb.counters.messages++;
    const exchTsMs = d.ts !== undefined ? Number(d.ts) : 0;
    sb.observe(recvTsNs, Number.isFinite(exchTsMs) ? exchTsMs : 0);
    const st = this.state(sb, channel);
    if (action === 'snapshot') this.applySnapshot(sb, st, d.seqId, d.checksum, () => setLevels(sb, d.bids ?? [], d.asks ?? []));
    else if (action === 'update') this.applyUpdate(sb, st, d.seqId, d.prevSeqId, d.checksum, raw, () => setLevels(sb, d.bids ?? [], d.asks ?? []));
    else this.ctx.notice('warn', `book message with action ${JSON.stringify(action)}`, sb.symbol);
  }

  /** A `snapshot` message: `levels()` sets its levels (count, or -1 when the book rejected one), then the checksum. */
  private applySnapshot(sb: SymbolBook, st: SymbolState, seqId: unknown, checksum: unknown, levels: () => number): void {
    sb.book.clear();
    st.lastUpdateRaw = '';
    st.crossed = false;
    const n = levels();
    if (n < 0) {
      sb.book.clear();
      return;
    }
    sb.counters.snapshots++;
    sb.book.markSnapshot('window');
    sb.seq = isInt(seqId) ? seqId : -1;
    if (sb.seq > sb.lastSeenSeq) sb.lastSeenSeq = sb.seq;
    if (!this.checkBook(sb, st, checksum, 'snapshot')) return;
    sb.transition('live', 'snapshot', isInt(seqId) ? `seqId ${seqId}` : 'in-band snapshot');
    sb.afterApply(n);
  }

  /**
   * An `update` message: continuity by seqId/prevSeqId when present (else a byte-identical repeat
   * is a duplicate), then `levels()` sets the message's levels (count, or -1 when the book
   * rejected one), then the checksum.
   */
  private applyUpdate(sb: SymbolBook, st: SymbolState, seqIdIn: unknown, prevSeqIdIn: unknown, checksum: unknown, raw: string, levels: () => number): void {
    if (sb.state !== 'live' && sb.state !== 'stale') {
      // Before the first snapshot, or after an anomaly while the fresh snapshot is on its way:
      // updates in flight belong to the old subscription and cannot be applied.
      return;
    }
    const hasSeq = isInt(seqIdIn) && isInt(prevSeqIdIn) && sb.seq >= 0;
    if (hasSeq) {
      const seqId = seqIdIn;
      const prevSeqId = prevSeqIdIn;
      if (seqId > sb.lastSeenSeq) sb.lastSeenSeq = seqId;
      const c = okxContinuity(prevSeqId, seqId, sb.seq);
      if (c === 'duplicate' || c === 'regress') {
        sb.anomaly(c, `update ${prevSeqId} -> ${seqId} at or before applied seqId ${sb.seq}`);
        return;
      }
      if (c === 'gap') {
        sb.anomaly('gap', `expected prevSeqId ${sb.seq}, got ${prevSeqId} -> ${seqId}`);
        return;
      }
    } else if (raw === st.lastUpdateRaw) {
      sb.anomaly('duplicate', 'byte-identical repeat of the last applied update');
      return;
    }
    const n = levels();
    if (n < 0) return;
    if (hasSeq) sb.seq = seqIdIn as number;
    st.lastUpdateRaw = raw;
    if (!this.checkBook(sb, st, checksum, 'update')) return;
    if (sb.state === 'stale') sb.transition('live', 'fresh data');
    sb.afterApply(n);
  }

  /** Checksum and crossed-book policy after a complete message. False when the book was invalidated. */
  private checkBook(sb: SymbolBook, st: SymbolState, expected: unknown, what: string): boolean {
    if (!isInt(expected) || expected === 0) {
      sb.checksum('not-provided');
    } else {
      const got = okxBookChecksum(sb.book);
      if (got !== expected) {
        sb.checksum('mismatch', `${what} checksum ${expected}, local ${got} over "${okxBookChecksumText(sb.book).slice(0, 160)}"`);
        return false;
      }
      sb.checksum('ok');
    }
    const crossed = sb.book.isCrossed();
    if (crossed && !st.crossed) {
      this.ctx.notice('warn', `book crossed (legitimate during OKX pre-open/call auction): bid ${sb.book.bids.bestPrice()} >= ask ${sb.book.asks.bestPrice()} at scale ${sb.book.priceScale}`, sb.symbol);
    }
    st.crossed = crossed;
    return true;
  }

  private onTrade(instId: string, t: OkxTradeData, recvTsNs: bigint): void {
    const sb = this.ctx.book(t.instId ?? instId);
    if (sb === undefined || t.px === undefined || t.sz === undefined) return;
    const exchTsMs = t.ts !== undefined ? Number(t.ts) : 0;
    emitTrade(this.ctx, sb, recvTsNs, {
      priceText: t.px,
      sizeText: t.sz,
      // `trades` aggregates the fills of one taker order at one price; tradeId is the last fill's id.
      tradeId: t.tradeId ?? '',
      // OKX `side` is the taker's side (trades channel doc).
      takerSide: takerSide(t.side, 'buy', 'sell'),
      exchTsMs: Number.isFinite(exchTsMs) ? exchTsMs : 0,
    });
  }

  /** Unsubscribe + subscribe this instrument's book channel: OKX answers with a fresh snapshot. */
  resync(venueSymbol: string, cause: AnomalyKind): void {
    const sb = this.ctx.book(venueSymbol);
    if (sb === undefined) return;
    const st = this.state(sb);
    st.lastUpdateRaw = '';
    st.crossed = false;
    sb.seq = -1;
    const arg = { channel: st.channel, instId: venueSymbol };
    // Two of the 480 subscribe/unsubscribe ops per hour this connection may send.
    resubscribe(this.ctx, sb, cause, { unsubscribe: { op: 'unsubscribe', args: [arg] }, subscribe: { op: 'subscribe', args: [arg] } });
  }

  onClose(): void {
    for (const sb of this.ctx.books()) {
      const st = this.states.get(sb.symbol);
      if (st !== undefined) {
        st.lastUpdateRaw = '';
        st.crossed = false;
      }
      sb.seq = -1;
      sb.transition('connecting', 'reconnect', 'socket closed');
    }
  }
}
