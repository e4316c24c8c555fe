/**
 * Upbit WebSocket v1 session: `orderbook` (every message a complete top-N book) and `trade`.
 * Bithumb's current public API is a clone of this protocol, so BithumbSession delegates its v1
 * frames here (bithumb/bithumbSession.ts).
 *
 * Docs followed (venues.md section 11):
 * - https://docs.upbit.com/kr/v1.6.4/reference/websocket-orderbook (orderbook message, units
 *   `KRW-BTC.{1|5|15|30}`, `level` price grouping, SIMPLE abbreviations)
 * - https://docs.upbit.com/kr/v1.5.9/changelog/websocket_orderbook_unit_options (since 2025-07-02
 *   only 1/5/15/30 units; anything else falls back to 30)
 * - https://docs.upbit.com/kr/v1.6.4/reference/websocket-trade (`ask_bid`, `sequential_id`)
 * - https://docs.upbit.com/kr/v1.6.4/reference/websocket-guide (request array, formats)
 *
 * Quirks carried here:
 * - Frames are binary on the wire (UTF-8 JSON inside); the socket layer hands over the text, and
 *   recordings store it decoded with `frame:"binary"`.
 * - Four formats: DEFAULT (`type, code, orderbook_units[{ask_price, bid_price, ask_size,
 *   bid_size}]`), SIMPLE (`ty, cd, obu[{ap, bp, as, bs}]`), and the *_LIST variants that wrap the
 *   same objects in an array. All four are read.
 * - Prices and sizes are JSON numbers ("9.9E-7" appears on BTC markets): parsed from their source
 *   text (parseJsonExact), never through a double.
 * - Every orderbook message replaces the book: no deltas, no sequence, no checksum, so no gap can
 *   be detected (venues.md 11); the book is as good as the last message. Order is checked on the
 *   message `timestamp` (SnapshotReplace). Row i holds the i-th best ask and the i-th best bid;
 *   rows with a zero size on one side are that side's padding and are skipped (cryptofeed PR #241
 *   saw false crossed books from them).
 * - The message states `total_ask_size` / `total_bid_size`. On every recorded message (145 of
 *   them) they equal, exactly, the sum of the sizes of the units sent, so that sum is checked as an
 *   independent figure of the venue's (`crossCheck`); a mismatch means units were lost or altered.
 * - Trades: `ask_bid` "ASK" = the taker sold, "BID" = the taker bought. `sequential_id` is unique
 *   but "cannot guarantee order", so it is only the trade id.
 * - Keepalive: idle connections close after about 120 s; the text "PING" is answered with
 *   {"status":"UP"} (documented for the Bithumb clone, venues.md 16.9).
 */
import type { AnomalyKind } from '../../../../src-shared/model/market.ts';
import { asArray, asObject, asSafeInteger, asText } from '../../../../src-shared/model/jsonExact.ts';
import type { ExactJson, ExactObject } from '../../../../src-shared/model/jsonExact.ts';
import { parseScaledBig, requiredScale } from '../../../../src-shared/model/decimal.ts';
import type { ConnectionPlan, SessionContext, VenueSession } from '../venue.ts';
import { exactFrame } from '../jsonFrame.ts';
import { emitTrade, takerSide } from '../tradeOut.ts';
import { leaveLiveForResync } from '../resubscribe.ts';
import type { SymbolBook } from '../../sync/symbolBook.ts';
import { SnapshotReplace } from '../../sync/snapshotReplace.ts';

/** Units per side when the code carries no `.N` suffix (venues.md 11: default 30). */
export const UPBIT_DEFAULT_UNITS = 30;

/** Field names of the DEFAULT format and their SIMPLE abbreviations. */
const FIELDS = {
  type: ['type', 'ty'],
  code: ['code', 'cd'],
  timestamp: ['timestamp', 'tms'],
  totalAsk: ['total_ask_size', 'tas'],
  totalBid: ['total_bid_size', 'tbs'],
  units: ['orderbook_units', 'obu'],
  askPrice: ['ask_price', 'ap'],
  bidPrice: ['bid_price', 'bp'],
  askSize: ['ask_size', 'as'],
  bidSize: ['bid_size', 'bs'],
  tradePrice: ['trade_price', 'tp'],
  tradeVolume: ['trade_volume', 'tv'],
  askBid: ['ask_bid', 'ab'],
  tradeTimestamp: ['trade_timestamp', 'ttms'],
  sequentialId: ['sequential_id', 'sid'],
} as const;

function field(o: ExactObject, names: readonly [string, string]): ExactJson | undefined {
  return o[names[0]] ?? o[names[1]];
}

/**
 * Exchange times are milliseconds on Upbit; Bithumb's v1 orderbook sends microseconds as a
 * 16-digit string (ccxt fixture, venues.md 12). Normalised by length.
 */
export function upbitTimeToMs(v: ExactJson | undefined): number {
  const n = asSafeInteger(v);
  if (Number.isNaN(n) || n <= 0) return 0;
  return n >= 1e15 ? Math.floor(n / 1000) : n;
}

/** Sum of decimal texts, exact (BigInt at the widest scale among them and the total). */
function sumMatches(sizes: string[], total: string): boolean {
  let scale = requiredScale(total);
  for (const s of sizes) scale = Math.max(scale, requiredScale(s));
  const want = parseScaledBig(plainDecimal(total), scale);
  if (want === undefined) return false;
  let sum = 0n;
  for (const s of sizes) {
    const v = parseScaledBig(plainDecimal(s), scale);
    if (v === undefined) return false;
    sum += v;
  }
  return sum === want;
}

/** "9.9E-7" -> "0.00000099": parseScaledBig reads plain decimals only. */
function plainDecimal(s: string): string {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?[eE]([+-]?\d+)$/.exec(s);
  if (!m) return s;
  const digits = (m[2] ?? '') + (m[3] ?? '');
  let point = (m[2] ?? '').length + Number(m[4]);
  let d = digits;
  if (point <= 0) {
    d = '0'.repeat(1 - point) + d;
    point = 1;
  } else if (point > d.length) d = d + '0'.repeat(point - d.length);
  return `${m[1] ?? ''}${d.slice(0, point)}.${d.slice(point) || '0'}`;
}

export class UpbitSession implements VenueSession {
  private readonly ctx: SessionContext;
  private readonly plan: ConnectionPlan;
  private readonly books = new Map<string, SnapshotReplace>();
  /** Frame types seen that this adapter does not use, reported once each. */
  private readonly ignoredTypes = new Set<string>();
  /** Idle connections are closed after ~120 s; "PING" keeps them open and proves the server alive. */
  readonly keepalive = { intervalMs: 60_000, frame: (): string => 'PING' };

  /** Upbit, or Bithumb's v1 clone of it: trades and books carry the venue of their instrument. */
  constructor(ctx: SessionContext, plan: ConnectionPlan) {
    this.ctx = ctx;
    this.plan = plan;
  }

  onOpen(): void {
    if (this.plan.venueSymbols.length > 0) this.ctx.send(upbitSubscribeFrame(this.plan.id, this.plan.venueSymbols));
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
    // "PING" replies and other plain-text control frames are not JSON.
    const value = exactFrame(this.ctx, raw);
    if (value === undefined) return;
    const list = asArray(value);
    if (list !== undefined) {
      for (const item of list) this.onObject(asObject(item), recvTsNs);
      return;
    }
    this.onObject(asObject(value), recvTsNs);
  }

  /** One DEFAULT/SIMPLE object (from a single frame or a *_LIST array). */
  onObject(o: ExactObject | undefined, recvTsNs: bigint): void {
    if (o === undefined) {
      this.ctx.notice('warn', 'frame is not a JSON object');
      return;
    }
    const type = asText(field(o, FIELDS.type));
    if (type === 'orderbook') return this.onOrderbook(o, recvTsNs);
    if (type === 'trade') return this.onTrade(o, recvTsNs);
    if (o['status'] !== undefined) return; // {"status":"UP"}: answer to PING
    const err = asObject(o['error']);
    if (err !== undefined) {
      this.ctx.notice('error', `venue error ${asText(err['name']) ?? '?'}: ${asText(err['message']) ?? ''}`);
      return;
    }
    const t = type ?? '(untyped)';
    if (!this.ignoredTypes.has(t)) {
      this.ignoredTypes.add(t);
      this.ctx.notice('info', `ignoring ${t} frames`);
    }
  }

  private onOrderbook(o: ExactObject, recvTsNs: bigint): void {
    const code = asText(field(o, FIELDS.code));
    const units = asArray(field(o, FIELDS.units));
    if (code === undefined || units === undefined) {
      this.ctx.notice('warn', 'orderbook frame without code or units');
      return;
    }
    const sb = this.ctx.book(code);
    if (sb === undefined) return;
    const exchTsMs = upbitTimeToMs(field(o, FIELDS.timestamp));
    const askSizes: string[] = [];
    const bidSizes: string[] = [];
    const outcome = this.replace(sb).onSnapshot(exchTsMs, recvTsNs, (b) => {
      let n = 0;
      for (const u of units) {
        const row = asObject(u);
        if (row === undefined) {
          b.anomaly('invalid-price', 'orderbook unit is not an object');
          return -1;
        }
        const ap = asText(field(row, FIELDS.askPrice));
        const as = asText(field(row, FIELDS.askSize));
        const bp = asText(field(row, FIELDS.bidPrice));
        const bs = asText(field(row, FIELDS.bidSize));
        if (ap === undefined || as === undefined || bp === undefined || bs === undefined) {
          b.anomaly('invalid-price', 'orderbook unit without ask/bid price and size');
          return -1;
        }
        askSizes.push(as);
        bidSizes.push(bs);
        // A zero size is the side's padding row, not a level (cryptofeed PR #241).
        if (!isZero(as)) {
          if (!b.setLevel(false, ap, as)) return -1;
          n++;
        }
        if (!isZero(bs)) {
          if (!b.setLevel(true, bp, bs)) return -1;
          n++;
        }
      }
      return n;
    });
    if (outcome !== 'applied') return;
    const tas = asText(field(o, FIELDS.totalAsk));
    const tbs = asText(field(o, FIELDS.totalBid));
    if (tas === undefined || tbs === undefined) return;
    const ok = sumMatches(askSizes, tas) && sumMatches(bidSizes, tbs);
    this.ctx.crossCheck(sb, ok, ok ? `totals at ${exchTsMs}` : `units sum to asks/bids other than the stated totals ${tas} / ${tbs} at ${exchTsMs}`);
  }

  private onTrade(o: ExactObject, recvTsNs: bigint): void {
    const code = asText(field(o, FIELDS.code));
    const px = asText(field(o, FIELDS.tradePrice));
    const qty = asText(field(o, FIELDS.tradeVolume));
    if (code === undefined || px === undefined || qty === undefined) {
      this.ctx.notice('warn', 'trade frame without code, price or volume');
      return;
    }
    const sb = this.ctx.book(code);
    if (sb === undefined) return;
    emitTrade(this.ctx, sb, recvTsNs, {
      priceText: px,
      sizeText: qty,
      tradeId: asText(field(o, FIELDS.sequentialId)) ?? '',
      // ask_bid is the taker's side: ASK = sold into the bid, BID = bought from the ask.
      takerSide: takerSide(asText(field(o, FIELDS.askBid)), 'BID', 'ASK'),
      exchTsMs: upbitTimeToMs(field(o, FIELDS.tradeTimestamp) ?? field(o, FIELDS.timestamp)),
    });
  }

  /**
   * Nothing to ask the venue for: the next orderbook message is a complete book. The book stops
   * being live until it arrives.
   */
  resync(venueSymbol: string, cause: AnomalyKind): void {
    const sb = this.ctx.book(venueSymbol);
    if (sb !== undefined) leaveLiveForResync(sb, cause, 'waiting for the next full orderbook message');
  }

  onClose(): void {
    for (const r of this.books.values()) r.reset();
    for (const sb of this.ctx.books()) sb.transition('connecting', 'reconnect', 'socket closed');
  }
}

function isZero(s: string): boolean {
  return /^[+-]?(?:0+(?:\.0*)?|\.0+)(?:[eE][+-]?\d+)?$/.test(s);
}

/** The request array: one ticket, orderbook and trade for the codes, DEFAULT format. */
export function upbitSubscribeFrame(ticket: string, codes: string[]): string {
  return JSON.stringify([{ ticket: `depthdesk-${ticket}` }, { type: 'orderbook', codes }, { type: 'trade', codes }, { format: 'DEFAULT' }]);
}
