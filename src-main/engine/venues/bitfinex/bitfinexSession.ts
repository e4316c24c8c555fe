/**
 * Bitfinex WebSocket v2 session: aggregated `book` (P0) with SEQ_ALL sequence numbers and
 * optional checksum frames, plus `trades`.
 *
 * Docs followed (venues.md section 14.3):
 * - https://docs.bitfinex.com/docs/ws-general (conf flags: 65536 SEQ_ALL "adds sequence numbers
 *   to each event", 131072 OB_CHECKSUM; `hb` heartbeats about every 15 s per channel; info codes
 *   20051 "stop/restart websocket server (please reconnect)", 20060 "entering maintenance mode",
 *   20061 "maintenance ended: unsubscribe and subscribe again to all channels")
 * - https://docs.bitfinex.com/reference/ws-public-books (snapshot `[CHAN_ID, [[PRICE, COUNT,
 *   AMOUNT], ...]]`, update `[CHAN_ID, [PRICE, COUNT, AMOUNT]]`; AMOUNT > 0 bid, < 0 ask;
 *   COUNT 0 deletes the price, AMOUNT 1 on the bid side, -1 on the ask side)
 * - https://docs.bitfinex.com/docs/ws-websocket-checksum (`[CHAN_ID, "cs", CHECKSUM]`,
 *   bitfinexChecksum.ts)
 * - https://docs.bitfinex.com/reference/ws-public-trades (`te` then `tu` for the same trade id;
 *   AMOUNT sign = taker side)
 *
 * Quirks carried here:
 * - With SEQ_ALL every frame of the connection, heartbeats included, ends with one
 *   connection-wide sequence number ([chan, payload, SEQ], [chan, "hb", SEQ],
 *   [chan, "cs", CHECKSUM, SEQ], [chan, "te", TRADE, SEQ]). It is a single chain across all
 *   channels: a jump means frames of unknown channels were lost, so every book on the socket is
 *   tainted and resubscribed (connectionAnomaly). A repeated or older number is dropped.
 * - Numbers are JSON numbers: every value is taken from its source text (parseJsonExact,
 *   jsonExact.ts), never through a float; "1e-7" style exponents occur
 *   (PROVENANCE: both recordings).
 * - The subscribed `len` is a window Bitfinex maintains itself (levels entering and leaving it
 *   arrive as updates), so the book is trusted as a window of that depth.
 * - Resync = `unsubscribe` by chanId + `subscribe` again; the new subscription answers with a
 *   new chanId and a fresh snapshot. Frames still in flight for the old chanId are ignored.
 */
import type { AnomalyKind } from '../../../../src-shared/model/market.ts';
import { asSafeInteger, asText } from '../../../../src-shared/model/jsonExact.ts';
import type { ExactJson, ExactObject } from '../../../../src-shared/model/jsonExact.ts';
import type { ConnectionPlan, SessionContext, VenueSession } from '../venue.ts';
import { exactFrame } from '../jsonFrame.ts';
import { emitTrade } from '../tradeOut.ts';
import { leaveLiveForResync } from '../resubscribe.ts';
import type { SymbolBook } from '../../sync/symbolBook.ts';
import { bitfinexBookChecksum, bitfinexBookChecksumText } from './bitfinexChecksum.ts';

/** conf flag: a sequence number on every frame. */
export const BITFINEX_SEQ_ALL = 65536;
/** conf flag: `[chanId,"cs",checksum]` frames after book changes. */
export const BITFINEX_OB_CHECKSUM = 131072;

/** Levels per side subscribed (`len`: 1, 25, 100 or 250). */
export const BITFINEX_BOOK_LEN = 100;

interface Channel {
  channel: string;
  symbol: string;
}

export class BitfinexSession implements VenueSession {
  private readonly ctx: SessionContext;
  private readonly plan: ConnectionPlan;
  /** chanId -> what it carries. */
  private readonly chans = new Map<string, Channel>();
  /** symbol -> chanId of its book subscription. */
  private readonly bookChan = new Map<string, string>();
  /** Last connection-wide sequence number, -1 before the first. */
  private lastSeq = -1;
  /** The venue acknowledged SEQ_ALL: every data frame must carry a sequence number. */
  private seqAll = false;
  private missingSeqNoticed = false;
  /** Frames dropped because their sequence number was not newer than the last one. */
  repeatedFrames = 0;
  private nextCid = 1;
  /** `{"event":"ping"}` keeps idle connections measurable; heartbeats come from the server. */
  readonly keepalive = { intervalMs: 30_000, frame: (): string => JSON.stringify({ event: 'ping', cid: this.nextCid++ }) };

  constructor(ctx: SessionContext, plan: ConnectionPlan) {
    this.ctx = ctx;
    this.plan = plan;
  }

  /** Last connection-wide sequence number seen (-1 before the first). */
  get sequence(): number {
    return this.lastSeq;
  }

  onOpen(): void {
    this.ctx.send(JSON.stringify({ event: 'conf', flags: BITFINEX_SEQ_ALL + BITFINEX_OB_CHECKSUM }));
    for (const symbol of this.plan.venueSymbols) {
      this.ctx.send(this.bookSubscribe(symbol));
      this.ctx.send(JSON.stringify({ event: 'subscribe', channel: 'trades', symbol }));
    }
  }

  private bookSubscribe(symbol: string): string {
    return JSON.stringify({ event: 'subscribe', channel: 'book', symbol, prec: 'P0', freq: 'F0', len: String(BITFINEX_BOOK_LEN) });
  }

  onMessage(raw: string, recvTsNs: bigint): void {
    const msg = exactFrame(this.ctx, raw);
    if (msg === undefined) return;
    if (Array.isArray(msg)) {
      this.onFrame(msg, recvTsNs);
      return;
    }
    if (msg !== null && typeof msg === 'object') {
      this.onEvent(msg);
      return;
    }
    this.ctx.notice('warn', `unexpected frame ${raw.slice(0, 80)}`);
  }

  private onEvent(e: ExactObject): void {
    const event = asText(e['event']);
    switch (event) {
      case 'subscribed': {
        const chanId = asText(e['chanId']);
        const channel = asText(e['channel']);
        const symbol = asText(e['symbol']);
        if (chanId === undefined || channel === undefined || symbol === undefined) return;
        this.chans.set(chanId, { channel, symbol });
        if (channel === 'book') {
          this.bookChan.set(symbol, chanId);
          if (asText(e['prec']) !== 'P0') this.ctx.notice('error', `book subscribed with prec ${asText(e['prec']) ?? '?'}; only aggregated P0 books are handled`, symbol);
        }
        return;
      }
      case 'unsubscribed': {
        const chanId = asText(e['chanId']);
        if (chanId !== undefined) this.forget(chanId);
        return;
      }
      case 'conf': {
        const flags = asSafeInteger(e['flags']);
        if (asText(e['status']) === 'OK' && !Number.isNaN(flags)) this.seqAll = (flags & BITFINEX_SEQ_ALL) !== 0;
        else this.ctx.notice('error', `conf refused: ${JSON.stringify(e)}`);
        return;
      }
      case 'info':
        this.onInfo(e);
        return;
      case 'error': {
        const symbol = asText(e['symbol']);
        this.ctx.notice('error', `venue error ${asText(e['code']) ?? '?'}: ${asText(e['msg']) ?? ''}`, symbol);
        if (symbol !== undefined && asText(e['channel']) === 'book') this.ctx.book(symbol)?.anomaly('subscribe-error', `${asText(e['code']) ?? '?'}: ${asText(e['msg']) ?? ''}`);
        return;
      }
      case 'pong':
        return;
      default:
        this.ctx.notice('info', `event ${event ?? '?'}`);
    }
  }

  private onInfo(e: ExactObject): void {
    const code = asSafeInteger(e['code']);
    const text = asText(e['msg']) ?? '';
    if (Number.isNaN(code)) {
      // The greeting: {"event":"info","version":2,"serverId":...,"platform":{"status":1}}.
      const platform = e['platform'];
      const status = platform !== null && typeof platform === 'object' && !Array.isArray(platform) ? asSafeInteger(platform['status']) : Number.NaN;
      if (status === 0) this.ctx.notice('warn', 'Bitfinex platform is in maintenance (platform.status 0)');
      return;
    }
    if (code === 20051) {
      // The server is stopping: every book on this socket ends here; the owner reconnects.
      this.ctx.notice('warn', `info 20051: server restarting, reconnect (${text})`);
      this.ctx.connectionAnomaly('venue-reset', 'Bitfinex info 20051: websocket server restarting');
      return;
    }
    if (code === 20060) {
      this.ctx.notice('warn', `info 20060: maintenance started (${text})`);
      for (const sb of this.ctx.books()) if (sb.isLive()) sb.anomaly('stale', 'Bitfinex maintenance (info 20060)');
      return;
    }
    if (code === 20061) {
      this.ctx.notice('info', `info 20061: maintenance ended, resubscribing (${text})`);
      this.ctx.connectionAnomaly('venue-reset', 'Bitfinex maintenance ended (info 20061): unsubscribe and subscribe again');
      return;
    }
    this.ctx.notice('info', `info ${code}: ${text}`);
  }

  private onFrame(f: ExactJson[], recvTsNs: bigint): void {
    const chanId = asText(f[0]);
    if (chanId === undefined) return;
    const kind = typeof f[1] === 'string' ? f[1] : undefined;
    // Where the sequence number sits: after the payload of each frame shape.
    const seqAt = kind === undefined || kind === 'hb' ? 2 : 3;
    const seq = f.length === seqAt + 1 ? asSafeInteger(f[seqAt]) : Number.NaN;
    const ch = this.chans.get(chanId);
    if (!Number.isNaN(seq)) {
      if (!this.checkSequence(seq, ch)) return;
    } else if (this.seqAll && !this.missingSeqNoticed) {
      this.missingSeqNoticed = true;
      this.ctx.notice('warn', `SEQ_ALL is on but a frame of channel ${chanId} carries no sequence number`);
    }
    if (ch === undefined) return; // an unsubscribed channel's frames still in flight
    if (ch.channel === 'book') this.onBookFrame(ch.symbol, kind, f, recvTsNs);
    else if (ch.channel === 'trades' && kind === 'te') this.onTrade(ch.symbol, f[2], recvTsNs);
    // `tu` repeats a `te` already counted; tickers carry nothing the book needs.
  }

  /** The SEQ_ALL chain. False when the frame must be dropped. */
  private checkSequence(seq: number, ch: Channel | undefined): boolean {
    const last = this.lastSeq;
    if (last < 0 || seq === last + 1) {
      this.lastSeq = seq;
      return true;
    }
    if (seq <= last) {
      this.repeatedFrames++;
      const sb = ch?.channel === 'book' ? this.ctx.book(ch.symbol) : undefined;
      if (sb !== undefined) sb.anomaly(seq === last ? 'duplicate' : 'regress', `SEQ_ALL ${seq} at or before ${last}: frame dropped`);
      else if (this.repeatedFrames <= 5) this.ctx.notice('warn', `SEQ_ALL ${seq} at or before ${last}: frame dropped`);
      return false;
    }
    // Frames of any channel may be among the lost ones: no book on this socket can be trusted.
    this.lastSeq = seq;
    this.ctx.connectionAnomaly('gap', `SEQ_ALL expected ${last + 1}, got ${seq}`);
    return false;
  }

  private onBookFrame(symbol: string, kind: string | undefined, f: ExactJson[], recvTsNs: bigint): void {
    const sb = this.ctx.book(symbol);
    if (sb === undefined) return;
    if (kind === 'hb') {
      // The channel is alive even when the book does not change.
      sb.observe(recvTsNs, 0);
      return;
    }
    if (kind === 'cs') {
      this.onChecksum(sb, asSafeInteger(f[2]));
      return;
    }
    if (kind !== undefined) return;
    const payload = f[1];
    if (!Array.isArray(payload)) return;
    sb.counters.messages++;
    sb.observe(recvTsNs, 0);
    if (payload.length === 0 || Array.isArray(payload[0])) this.onBookSnapshot(sb, payload);
    else this.onUpdate(sb, payload);
  }

  /** Set one [PRICE, COUNT, AMOUNT] entry; false when the level was rejected. */
  private applyEntry(sb: SymbolBook, e: ExactJson): boolean {
    if (!Array.isArray(e)) return false;
    const price = asText(e[0]);
    const count = asText(e[1]);
    const amount = asText(e[2]);
    if (price === undefined || count === undefined || amount === undefined) {
      sb.anomaly('invalid-price', `malformed book entry ${JSON.stringify(e)}`);
      return false;
    }
    const isBid = !amount.startsWith('-');
    // COUNT 0: the price is gone; AMOUNT (1 / -1) only says which side.
    if (count === '0') return sb.setLevel(isBid, price, '0');
    return sb.setLevel(isBid, price, isBid ? amount : amount.slice(1));
  }

  private onBookSnapshot(sb: SymbolBook, entries: ExactJson[]): void {
    sb.book.clear();
    for (const e of entries) {
      if (!this.applyEntry(sb, e)) {
        sb.book.clear();
        if (sb.state !== 'resyncing') sb.anomaly('invalid-price', 'unusable book snapshot');
        return;
      }
    }
    sb.counters.snapshots++;
    sb.book.markSnapshot('window');
    if (sb.book.isCrossed()) {
      sb.anomaly('crossed-book', `snapshot crossed: bid ${sb.book.bids.bestPrice()} >= ask ${sb.book.asks.bestPrice()} (scale ${sb.book.priceScale})`);
      return;
    }
    sb.transition('live', 'snapshot', `${entries.length} levels`);
    sb.afterApply(entries.length);
  }

  private onUpdate(sb: SymbolBook, entry: ExactJson[]): void {
    // Before the snapshot, or after an anomaly while the resubscription is on its way.
    if (sb.state !== 'live' && sb.state !== 'stale') return;
    if (!this.applyEntry(sb, entry)) return;
    if (sb.book.isCrossed()) {
      sb.anomaly('crossed-book', `bid ${sb.book.bids.bestPrice()} >= ask ${sb.book.asks.bestPrice()} (scale ${sb.book.priceScale})`);
      return;
    }
    if (sb.state === 'stale') sb.transition('live', 'fresh data');
    sb.afterApply(1);
  }

  private onChecksum(sb: SymbolBook, expected: number): void {
    if (sb.state !== 'live' && sb.state !== 'stale') return;
    if (Number.isNaN(expected)) {
      sb.checksum('not-provided');
      return;
    }
    const got = bitfinexBookChecksum(sb.book);
    if (got !== expected) {
      sb.checksum('mismatch', `checksum ${expected}, local ${got} over "${bitfinexBookChecksumText(sb.book).slice(0, 160)}"`);
      return;
    }
    sb.checksum('ok');
  }

  private onTrade(symbol: string, t: ExactJson | undefined, recvTsNs: bigint): void {
    // [ID, MTS, AMOUNT, PRICE]; AMOUNT > 0 taker bought, < 0 taker sold.
    if (!Array.isArray(t)) return;
    const sb = this.ctx.book(symbol);
    const id = asText(t[0]);
    const mts = asSafeInteger(t[1]);
    const amount = asText(t[2]);
    const priceText = asText(t[3]);
    if (sb === undefined || id === undefined || amount === undefined || priceText === undefined) return;
    const sell = amount.startsWith('-');
    emitTrade(this.ctx, sb, recvTsNs, {
      priceText,
      sizeText: sell ? amount.slice(1) : amount,
      tradeId: id,
      takerSide: sell ? 'sell' : 'buy',
      exchTsMs: Number.isNaN(mts) ? 0 : mts,
    });
  }

  private forget(chanId: string): void {
    const ch = this.chans.get(chanId);
    this.chans.delete(chanId);
    if (ch?.channel === 'book' && this.bookChan.get(ch.symbol) === chanId) this.bookChan.delete(ch.symbol);
  }

  /** Unsubscribe the book's channel and subscribe again: Bitfinex answers with a fresh snapshot. */
  resync(venueSymbol: string, cause: AnomalyKind): void {
    const sb = this.ctx.book(venueSymbol);
    if (sb === undefined) return;
    leaveLiveForResync(sb, cause);
    const chanId = this.bookChan.get(venueSymbol);
    if (chanId !== undefined) {
      // Stop applying the old channel now; its frames may still be in flight.
      this.forget(chanId);
      this.ctx.send(JSON.stringify({ event: 'unsubscribe', chanId: Number(chanId) }));
    }
    this.ctx.send(this.bookSubscribe(venueSymbol));
  }

  onClose(): void {
    this.chans.clear();
    this.bookChan.clear();
    this.lastSeq = -1;
    this.seqAll = false;
    this.missingSeqNoticed = false;
    for (const sb of this.ctx.books()) sb.transition('connecting', 'reconnect', 'socket closed');
  }
}
