/**
 * Bybit v5 instrument lists (configuration `"symbols": "all"`) for spot and linear, and the same
 * route on the local replay server.
 *
 * Docs followed:
 * - https://bybit-exchange.github.io/docs/v5/market/instrument `GET /v5/market/instruments-info`:
 *   `category` spot | linear; "Spot does not support pagination"; linear returns 500 entries by
 *   default ("more than 500 linear symbols ... use cursor for pagination or limit", limit up to
 *   1000, `nextPageCursor` empty on the last page); `status` filter defaults to `Trading` for
 *   linear and spot ("Spot has Trading only"), and the status is checked here too, so that
 *   PreLaunch (pre-market) contracts are never followed. `priceFilter.tickSize` is the tick;
 *   `lotSizeFilter.qtyStep` (linear) and `lotSizeFilter.basePrecision` (spot) the size step.
 *   Answers carry `retCode` 0 on success.
 * - https://bybit-exchange.github.io/docs/v5/rate-limit: "600 requests within a 5-second window"
 *   per IP for HTTP.
 */
import type { VenueId } from '../../../../src-shared/model/market.ts';
import { asArray, asObject } from '../../../../src-shared/model/jsonExact.ts';
import type { InstrumentListRequest, RestAnswer } from '../../replay/replayProtocol.ts';
import { joinListings, parseBody, plainDecimal, runListing, symbolsOf, textField } from '../instrumentListing.ts';
import type { ListedInstrument, ListingLimits, ListingResult, SymbolListResult } from '../instrumentListing.ts';
import type { BybitMarket } from './bybitSession.ts';
import { bybitInstrument } from './bybitSpec.ts';

export const BYBIT_REST_URL = 'https://api.bybit.com';
export const BYBIT_INSTRUMENTS_PATH = '/v5/market/instruments-info';

const LIMITS: ListingLimits = { weightPerWindow: 600, windowMs: 5_000 };

/** Linear page size: the documented maximum. */
const LINEAR_PAGE = 1000;
/** A cursor chain longer than this is a venue fault, not a listing (1000 x 50 instruments). */
const MAX_PAGES = 50;

export interface BybitPage {
  instruments: ListedInstrument[];
  /** Cursor of the next page; "" on the last. */
  nextPageCursor: string;
}

/** One instruments-info page: the `Trading` instruments and the cursor onwards. */
export function parseBybitInstruments(body: string, venue: VenueId, market: BybitMarket): { ok: true; page: BybitPage } | { ok: false; error: string } {
  const where = `${venue} instruments-info`;
  const parsed = parseBody(body, where);
  if (!parsed.ok) return parsed;
  const root = asObject(parsed.value);
  const retCode = textField(root, 'retCode');
  if (retCode !== '0') return { ok: false, error: `${where}: retCode ${retCode ?? '(none)'} ${textField(root, 'retMsg') ?? ''}`.trim() };
  const result = asObject(root?.['result']);
  const list = asArray(result?.['list']);
  if (list === undefined) return { ok: false, error: `${where}: the answer has no result.list` };
  const instruments: ListedInstrument[] = [];
  for (const item of list) {
    const o = asObject(item);
    const symbol = textField(o, 'symbol');
    if (symbol === undefined || textField(o, 'status') !== 'Trading') continue;
    const tickSize = plainDecimal(textField(asObject(o?.['priceFilter']), 'tickSize'));
    const lots = asObject(o?.['lotSizeFilter']);
    const lotSize = plainDecimal(textField(lots, market === 'spot' ? 'basePrecision' : 'qtyStep'));
    instruments.push({ venueSymbol: bybitInstrument(venue, market, symbol).venueSymbol, ...(tickSize ? { tickSize } : {}), ...(lotSize ? { lotSize } : {}) });
  }
  return { ok: true, page: { instruments, nextPageCursor: textField(result, 'nextPageCursor') ?? '' } };
}

/** Every trading instrument of a category, following the cursor (linear) page by page. */
export function listBybitInstruments(venue: VenueId, market: BybitMarket, restBase: string, pageSize = LINEAR_PAGE): Promise<ListingResult> {
  return runListing({ venue, baseUrl: restBase, limits: LIMITS }, async (http) => {
    const parts: ListingResult[] = [];
    let cursor = '';
    for (let page = 0; page < MAX_PAGES; page++) {
      const query = market === 'spot' ? 'category=spot' : `category=linear&limit=${pageSize}${cursor !== '' ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const r = await http.get(`${BYBIT_INSTRUMENTS_PATH}?${query}`);
      if (!r.ok) return r;
      const p = parseBybitInstruments(r.body, venue, market);
      if (!p.ok) return p;
      parts.push({ ok: true, instruments: p.page.instruments });
      if (market === 'spot' || p.page.nextPageCursor === '') return joinListings(parts);
      if (p.page.nextPageCursor === cursor) return { ok: false, error: `${venue} instruments-info: the cursor did not advance (${cursor})` };
      cursor = p.page.nextPageCursor;
    }
    return { ok: false, error: `${venue} instruments-info: more than ${MAX_PAGES} pages` };
  });
}

export async function listBybitSymbols(venue: VenueId, market: BybitMarket, restBase: string): Promise<SymbolListResult> {
  return symbolsOf(await listBybitInstruments(venue, market, restBase));
}

/**
 * The replay server's instruments-info: the documented envelope with the recorded symbols of the
 * server's category, `Trading`, with their coins (and contract type for linear). Linear pages
 * follow `limit` and `cursor` as Bybit's do (the cursor is this server's own position token), so
 * a client's paging is exercised against it. Increments are left out: the recording does not
 * say what they were.
 */
export function bybitInstrumentsAnswer(venue: VenueId, market: BybitMarket, req: InstrumentListRequest, symbols: readonly string[]): RestAnswer | undefined {
  if (req.method !== 'GET' || req.url.pathname !== BYBIT_INSTRUMENTS_PATH) return undefined;
  const category = req.url.searchParams.get('category');
  const envelope = (result: unknown) => ({ status: 200, body: JSON.stringify({ retCode: 0, retMsg: 'OK', result, retExtInfo: {}, time: Date.now() }) });
  if (category !== market) {
    // A server replays one category; another one is not in the recording (Bybit's "params error" code).
    return { status: 200, body: JSON.stringify({ retCode: 10001, retMsg: `category ${category ?? '(none)'} is not replayed here (${market} only)`, result: {}, retExtInfo: {}, time: Date.now() }) };
  }
  const entries = symbols.map((s) => {
    const i = bybitInstrument(venue, market, s);
    if (market === 'spot') return { symbol: i.venueSymbol, baseCoin: i.base, quoteCoin: i.quote, status: 'Trading' };
    return { symbol: i.venueSymbol, contractType: i.kind === 'future' ? 'LinearFutures' : 'LinearPerpetual', status: 'Trading', baseCoin: i.base, quoteCoin: i.quote, settleCoin: i.quote };
  });
  if (market === 'spot') return envelope({ category, list: entries });
  const limit = Math.min(1000, Math.max(1, Number(req.url.searchParams.get('limit') ?? '500') || 500));
  const start = Number(/^page-(\d+)$/.exec(req.url.searchParams.get('cursor') ?? '')?.[1] ?? '0');
  const end = Math.min(entries.length, start + limit);
  return envelope({ category, list: entries.slice(start, end), nextPageCursor: end < entries.length ? `page-${end}` : '' });
}
