/**
 * Gate v4 diff-depth session: spot `spot.order_book_update` and USDT futures
 * `futures.order_book_update`, aligned with REST `with_id=true` snapshots, plus trades.
 *
 * Docs followed (venues.md section 14.1):
 * - https://www.gate.io/docs/developers/apiv4/ws/en/#changed-order-book-levels (spot: result
 *   `{t, e, E, s, U, u, b:[[p,q]], a:[[p,q]]}`; "U: first update order book id in this event
 *   since last update, u: last update order book id"; local book procedure: drop u <= id, the
 *   first applied event has U <= id+1 <= u, then U == previous u + 1)
 * - https://www.gate.io/docs/developers/futures/ws/en/#order-book-update-subscription (futures:
 *   result `{t, s, U, u, b:[{p, s}], a:[{p, s}]}`, the same id rules)
 * - https://www.gate.io/docs/developers/apiv4/en/#retrieve-order-book (`with_id=true` -> `id`)
 *
 * Quirks carried here:
 * - Alignment is exactly Binance spot's (SPOT_STYLE_RULES): subscribe, buffer, fetch the
 *   snapshot, drop what it contains, bridge, then chain U == prev u + 1. Both recordings
 *   (gate/cryptofeed_*) line up this way with 0 gaps, futures included.
 * - Futures sizes are JSON numbers (contracts), in the diffs and in the REST snapshot; so are the
 *   ids. Every number is taken from its source text (parseJsonExact, jsonExact.ts), so no size ever
 *   passes through a binary float.
 * - A spot pair and its perpetual share a name: futures books are keyed "usdt/NAME" (gateSymbol.ts).
 * - Gate's 2021 server bug produced overlapping (crossed) levels (gatews issue #6): RestAligned's
 *   crossed-book check resyncs such a book.
 * - Keepalive is application level: `{"time","channel":"spot.ping"}` -> `spot.pong`
 *   (`futures.ping` on the futures host).
 */
import type { AnomalyKind, Trade } from '../../../../src-shared/model/market.ts';
import { asObject, asSafeInteger, asText, parseJsonExact } from '../../../../src-shared/model/jsonExact.ts';
import type { ExactJson, ExactObject } from '../../../../src-shared/model/jsonExact.ts';
import type { ConnectionPlan, SessionContext, VenueSession } from '../venue.ts';
import { resyncPriority } from '../venue.ts';
import { exactObjectFrame } from '../jsonFrame.ts';
import { emitTrade, takerSide } from '../tradeOut.ts';
import { setLevels } from '../setLevels.ts';
import type { SymbolBook } from '../../sync/symbolBook.ts';
import { RestAligned, SPOT_STYLE_RULES } from '../../sync/restAligned.ts';
import type { IdRange } from '../../sync/restAligned.ts';
import { gateVenueSymbol, parseGateSymbol } from './gateSymbol.ts';
import type { GateMarket } from './gateSymbol.ts';

/** Levels of one diff as exact text: [price, size]. */
interface GateDepth {
  b: [string, string][];
  a: [string, string][];
}

/** Levels per side asked of the REST snapshot (`limit=100`): the trust band of an aligned book. */
export const GATE_SNAPSHOT_DEPTH = 100;

/**
 * Levels in either layout: spot `[["p","q"], ...]` or futures `[{"p":"0.2983","s":12}, ...]`.
 * Returns undefined when the shape is not one of them.
 */
function levels(v: ExactJson | undefined): [string, string][] | undefined {
  if (v === undefined) return [];
  if (!Array.isArray(v)) return undefined;
  const out: [string, string][] = [];
  for (const lv of v) {
    if (Array.isArray(lv)) {
      const p = asText(lv[0]);
      const q = asText(lv[1]);
      if (p === undefined || q === undefined) return undefined;
      out.push([p, q]);
      continue;
    }
    const o = asObject(lv);
    const p = asText(o?.['p']);
    const q = asText(o?.['s']);
    if (p === undefined || q === undefined) return undefined;
    out.push([p, q]);
  }
  return out;
}

export class GateSession implements VenueSession {
  private readonly ctx: SessionContext;
  private readonly plan: ConnectionPlan;
  private readonly aligned = new Map<string, RestAligned<GateDepth>>();
  /** Market of this connection (the futures host carries futures only), from the plan. */
  private readonly market: GateMarket;
  /** Settle currency of the futures host ("usdt" from .../v4/ws/usdt). */
  private readonly settle: string;
  readonly keepalive: { intervalMs: number; frame(): string };

  constructor(ctx: SessionContext, plan: ConnectionPlan) {
    this.ctx = ctx;
    this.plan = plan;
    const first = plan.venueSymbols[0];
    const fromPlan = first !== undefined ? parseGateSymbol(first) : undefined;
    const urlSettle = /\/v4\/ws\/([a-z]+)\/?$/.exec(plan.url)?.[1];
    this.market = fromPlan?.market ?? (urlSettle !== undefined ? 'futures' : 'spot');
    this.settle = fromPlan?.settle || urlSettle || 'usdt';
    const channel = this.market === 'spot' ? 'spot.ping' : 'futures.ping';
    // Gate closes idle sockets; an application ping every 10 s keeps the connection and measures it.
    this.keepalive = { intervalMs: 10_000, frame: () => JSON.stringify({ time: Math.floor(Date.now() / 1000), channel }) };
  }

  onOpen(): void {
    if (this.plan.venueSymbols.length === 0) return;
    const time = Math.floor(Date.now() / 1000);
    const prefix = this.market === 'spot' ? 'spot' : 'futures';
    const names = this.plan.venueSymbols.map((s) => parseGateSymbol(s).name);
    // One order-book subscription per pair: the payload is [name, interval].
    for (const name of names) {
      this.ctx.send(JSON.stringify({ time, channel: `${prefix}.order_book_update`, event: 'subscribe', payload: [name, '100ms'] }));
    }
    this.ctx.send(JSON.stringify({ time, channel: `${prefix}.trades`, event: 'subscribe', payload: names }));
  }

  private alignedFor(sb: SymbolBook): RestAligned<GateDepth> {
    let a = this.aligned.get(sb.symbol);
    if (a === undefined) {
      a = new RestAligned<GateDepth>(sb, SPOT_STYLE_RULES, {
        apply: (b, p) => setLevels(b, p.b, p.a),
        requestSnapshot: (b, priority) => this.ctx.requestSnapshot(b.symbol, priority),
      });
      this.aligned.set(sb.symbol, a);
    }
    return a;
  }

  /** The venue symbol of a wire name on this connection's market. */
  private venueSymbol(market: GateMarket, name: string): string {
    return gateVenueSymbol(market, this.settle, name);
  }

  onMessage(raw: string, recvTsNs: bigint): void {
    const msg = exactObjectFrame(this.ctx, raw);
    if (msg === undefined) return;
    const channel = asText(msg['channel']) ?? '';
    const event = asText(msg['event']) ?? '';
    const error = asObject(msg['error']);
    if (error !== undefined) {
      this.ctx.notice('error', `venue error on ${channel || '?'} ${event}: ${asText(error['code']) ?? '?'} ${asText(error['message']) ?? ''}`.trim());
      return;
    }
    if (event !== 'update') return; // subscribe/unsubscribe acks, *.pong
    const market: GateMarket = channel.startsWith('futures.') ? 'futures' : 'spot';
    if (channel.endsWith('.order_book_update')) {
      const r = asObject(msg['result']);
      if (r !== undefined) this.onDepth(market, r, recvTsNs);
      return;
    }
    if (channel.endsWith('.trades')) {
      const r = msg['result'];
      if (Array.isArray(r)) for (const t of r) this.onTrade(market, asObject(t), recvTsNs);
      else this.onTrade(market, asObject(r), recvTsNs);
    }
    // tickers, candlesticks, book_ticker carry nothing the book needs.
  }

  private onDepth(market: GateMarket, r: ExactObject, recvTsNs: bigint): void {
    const name = asText(r['s']);
    if (name === undefined) return;
    const sb = this.ctx.book(this.venueSymbol(market, name));
    if (sb === undefined) return;
    const t = asSafeInteger(r['t']);
    sb.observe(recvTsNs, Number.isNaN(t) ? 0 : t);
    const ids: IdRange = { first: asSafeInteger(r['U']), last: asSafeInteger(r['u']), prev: -1 };
    const b = levels(r['b']);
    const a = levels(r['a']);
    if (Number.isNaN(ids.first) || Number.isNaN(ids.last) || b === undefined || a === undefined) {
      this.ctx.notice('warn', 'order_book_update without U/u ids or with malformed levels', sb.symbol);
      return;
    }
    this.alignedFor(sb).onDiff(ids, { b, a }, recvTsNs);
  }

  private onTrade(market: GateMarket, t: ExactObject | undefined, recvTsNs: bigint): void {
    if (t === undefined) return;
    const name = asText(market === 'spot' ? t['currency_pair'] : t['contract']);
    if (name === undefined) return;
    const sb = this.ctx.book(this.venueSymbol(market, name));
    if (sb === undefined) return;
    const priceText = asText(t['price']);
    let sizeText = asText(market === 'spot' ? t['amount'] : t['size']);
    if (priceText === undefined || sizeText === undefined) return;
    let side: Trade['takerSide'];
    if (market === 'spot') {
      // spot.trades `side` is the taker's side (venues.md 14.1 flags this as read from client code).
      side = takerSide(asText(t['side']), 'buy', 'sell');
    } else {
      // futures.trades: a positive size is a taker buy, a negative one a taker sell.
      side = sizeText.startsWith('-') ? 'sell' : 'buy';
      if (sizeText.startsWith('-')) sizeText = sizeText.slice(1);
    }
    const ms = asText(t['create_time_ms']);
    const exchTsMs = ms !== undefined ? Math.trunc(Number(ms)) : 0;
    emitTrade(this.ctx, sb, recvTsNs, {
      priceText,
      sizeText,
      tradeId: asText(t['id']) ?? '',
      takerSide: side,
      exchTsMs: Number.isFinite(exchTsMs) ? exchTsMs : 0,
    });
  }

  onSnapshot(venueSymbol: string, body: string, _recvTsNs: bigint): void {
    const sb = this.ctx.book(venueSymbol);
    if (sb === undefined) return;
    const aligned = this.alignedFor(sb);
    const parsed = parseJsonExact(body);
    if (!parsed.ok) {
      this.ctx.notice('error', `snapshot for ${venueSymbol} is not JSON`, venueSymbol);
      aligned.snapshotFailed();
      return;
    }
    const snap = asObject(parsed.value);
    const id = asSafeInteger(snap?.['id']);
    const bids = levels(snap?.['bids']);
    const asks = levels(snap?.['asks']);
    if (snap === undefined || Number.isNaN(id) || bids === undefined || asks === undefined) {
      // Gate errors are {"label":"INVALID_CURRENCY","message":"..."}.
      const why = snap !== undefined ? `${asText(snap['label']) ?? ''} ${asText(snap['message']) ?? ''}`.trim() : '';
      this.ctx.notice('error', `snapshot for ${venueSymbol} has no id/bids/asks (was with_id=true asked?)${why ? `: ${why}` : ''}`, venueSymbol);
      aligned.snapshotFailed();
      return;
    }
    aligned.onSnapshot((b) => (setLevels(b, bids, asks) < 0 ? -1 : id), GATE_SNAPSHOT_DEPTH);
  }

  resync(venueSymbol: string, cause: AnomalyKind): void {
    const sb = this.ctx.book(venueSymbol);
    if (sb === undefined) return;
    const a = this.alignedFor(sb);
    a.reset();
    // Gap resyncs are served before cold starts by the REST budget.
    a.askSnapshot(resyncPriority(cause));
  }

  onClose(): void {
    for (const a of this.aligned.values()) a.reset();
  }
}
