/**
 * Bithumb session: the current public API (generation 2, `wss://ws-api.bithumb.com/websocket/v1`)
 * and the legacy one (generation 1, `wss://pubwss.bithumb.com/pub/ws`), told apart by frame shape.
 *
 * Docs followed (venues.md section 12):
 * - https://apidocs.bithumb.com/reference/기본-정보 (v1 endpoints, 10 connection requests/s per IP)
 * - https://apidocs.bithumb.com/reference/연결-관리 (idle timeout ~120 s, "PING" -> {"status":"UP"})
 * - https://apidocs.bithumb.com/v1.2.0/reference/빗썸-거래소-정보-수신 (legacy `transaction`,
 *   `orderbookdepth`, `orderbooksnapshot`, acks with `status` "0000")
 * - impl: ccxt ts/src/pro/bithumb.ts (generations 1 and 2), cryptofeed bithumb.py (legacy trades)
 *
 * Generation 2 is Upbit's protocol (same request array, `orderbook` full snapshots, `trade` with
 * `ask_bid`): those frames go to UpbitSession, whose quirks apply unchanged, plus one of Bithumb's
 * own: the orderbook `timestamp` may be a 16-digit microsecond string (normalised there by length).
 *
 * Legacy quirks carried here:
 * - `transaction` trades: `content.list[{symbol, buySellGb, contPrice, contQty, contAmt, contDtm}]`
 *   with strings for numbers. `buySellGb` "2" = the taker bought, "1" = the taker sold
 *   (cryptofeed). `contDtm` is Korea wall-clock time (UTC+9, no daylight saving) with
 *   microseconds. There is no trade id: it is the symbol, contDtm and the position in the frame,
 *   deterministic for a given stream.
 * - `orderbookdepth` is documented as NOT syncable: it sends new level totals with no sequence
 *   number and no snapshot id, so a book built from it can never be proven complete (cryptofeed
 *   refuses L2 on it for that reason: "there is no way to synchronize against a REST snapshot").
 *   Its frames are reported once and ignored; books come from the v1 `orderbook` stream.
 */
import type { AnomalyKind } from '../../../../src-shared/model/market.ts';
import { asArray, asObject, asText } from '../../../../src-shared/model/jsonExact.ts';
import type { ExactObject } from '../../../../src-shared/model/jsonExact.ts';
import type { ConnectionPlan, SessionContext, VenueSession } from '../venue.ts';
import { exactFrame } from '../jsonFrame.ts';
import { emitTrade, takerSide } from '../tradeOut.ts';
import { UpbitSession, upbitSubscribeFrame } from '../upbit/upbitSession.ts';

/** Korea Standard Time is UTC+9 all year. */
const KST_OFFSET_MS = 9 * 3600_000;

/** "2021-06-02 08:43:34.555058" (KST) -> epoch milliseconds, without Date parsing of local time. */
export function kstToEpochMs(s: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/.exec(s);
  if (!m) return 0;
  const ms = Number((m[7] ?? '').slice(0, 3).padEnd(3, '0'));
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), ms) - KST_OFFSET_MS;
}

export class BithumbSession implements VenueSession {
  private readonly ctx: SessionContext;
  private readonly plan: ConnectionPlan;
  /** Generation 2 frames: Upbit's protocol. */
  private readonly v1: UpbitSession;
  private legacyDepthNoticed = false;
  readonly keepalive = { intervalMs: 60_000, frame: (): string => 'PING' };

  constructor(ctx: SessionContext, plan: ConnectionPlan) {
    this.ctx = ctx;
    this.plan = plan;
    this.v1 = new UpbitSession(ctx, plan);
  }

  onOpen(): void {
    const symbols = this.plan.venueSymbols;
    if (symbols.length === 0) return;
    if (isLegacyUrl(this.plan.url)) {
      // The legacy feed only ever carries trades for us: its book stream is not syncable.
      this.ctx.send(JSON.stringify({ type: 'transaction', symbols }));
      return;
    }
    this.ctx.send(upbitSubscribeFrame(this.plan.id, symbols));
  }

  onMessage(raw: string, recvTsNs: bigint): void {
    const value = exactFrame(this.ctx, raw);
    if (value === undefined) return;
    const list = asArray(value);
    if (list !== undefined) {
      for (const item of list) this.v1.onObject(asObject(item), recvTsNs);
      return;
    }
    const o = asObject(value);
    if (o === undefined) {
      this.ctx.notice('warn', 'frame is not a JSON object');
      return;
    }
    if (o['content'] !== undefined || (typeof o['status'] === 'string' && o['resmsg'] !== undefined)) return this.onLegacy(o, recvTsNs);
    this.v1.onObject(o, recvTsNs);
  }

  private onLegacy(o: ExactObject, recvTsNs: bigint): void {
    const status = asText(o['status']);
    if (status !== undefined) {
      // "0000" = connected / filter registered; anything else (5100 "Invalid Filter Syntax") is an error.
      if (status !== '0000') this.ctx.notice('error', `legacy feed status ${status}: ${asText(o['resmsg']) ?? ''}`);
      return;
    }
    const type = asText(o['type']);
    const content = asObject(o['content']);
    if (type === 'transaction' && content !== undefined) return this.onLegacyTrades(content, recvTsNs);
    if (type === 'orderbookdepth') {
      if (!this.legacyDepthNoticed) {
        this.legacyDepthNoticed = true;
        this.ctx.notice('warn', 'legacy orderbookdepth frames ignored: the stream has no sequence and no snapshot id, so a book built from it cannot be proven (use the v1 orderbook stream)');
      }
      return;
    }
    this.ctx.notice('info', `ignoring legacy ${type ?? '(untyped)'} frame`);
  }

  private onLegacyTrades(content: ExactObject, recvTsNs: bigint): void {
    const list = asArray(content['list']);
    if (list === undefined) {
      this.ctx.notice('warn', 'legacy transaction frame without list');
      return;
    }
    list.forEach((item, index) => {
      const t = asObject(item);
      const symbol = t === undefined ? undefined : asText(t['symbol']);
      const px = t === undefined ? undefined : asText(t['contPrice']);
      const qty = t === undefined ? undefined : asText(t['contQty']);
      const dtm = t === undefined ? undefined : asText(t['contDtm']);
      if (t === undefined || symbol === undefined || px === undefined || qty === undefined || dtm === undefined) {
        this.ctx.notice('warn', 'legacy trade without symbol, contPrice, contQty or contDtm');
        return;
      }
      const sb = this.ctx.book(symbol);
      if (sb === undefined) return;
      emitTrade(this.ctx, sb, recvTsNs, {
        priceText: px,
        sizeText: qty,
        tradeId: `${symbol}-${dtm}-${index}`,
        takerSide: takerSide(asText(t['buySellGb']), '2', '1'),
        exchTsMs: kstToEpochMs(dtm),
      });
    });
  }

  resync(venueSymbol: string, cause: AnomalyKind): void {
    this.v1.resync(venueSymbol, cause);
  }

  onClose(): void {
    this.v1.onClose();
  }
}

export function isLegacyUrl(url: string): boolean {
  return url.includes('pubwss.bithumb.com');
}
