/**
 * Binance instrument lists (configuration `"symbols": "all"`): spot, Binance.US, USD-M and COIN-M
 * `exchangeInfo`, and the same routes on the local replay server.
 *
 * Docs followed:
 * - https://developers.binance.com/docs/binance-spot-api-docs/rest-api/general-endpoints#exchange-information
 *   `GET /api/v3/exchangeInfo`, weight 20. `symbolStatus=TRADING` keeps only symbols whose
 *   trading status is TRADING (HALT and BREAK are left out); `showPermissionSets=false` leaves the
 *   permission sets out of an answer that is several MB with them. Without `permissions` the list
 *   holds every symbol with SPOT, MARGIN or LEVERAGED permission.
 * - https://docs.binance.us/#get-exchange-information (Binance.US, weight 10): the same shape; the
 *   `symbolStatus` filter is not documented there, so the status is checked here only.
 * - https://developers.binance.com/docs/derivatives/usds-margined-futures/market-data/rest-api/Exchange-Information
 *   `GET /fapi/v1/exchangeInfo`, weight 1; contract `status` TRADING (the others: PENDING_TRADING,
 *   PRE_DELIVERING, DELIVERING, DELIVERED, PRE_SETTLE, SETTLING, CLOSE).
 * - https://developers.binance.com/docs/derivatives/coin-margined-futures/market-data/rest-api/Exchange-Information
 *   `GET /dapi/v1/exchangeInfo`, weight 1; COIN-M names the same field `contractStatus`.
 * - https://developers.binance.com/docs/binance-spot-api-docs/filters: `PRICE_FILTER.tickSize`
 *   and `LOT_SIZE.stepSize` are the price and quantity increments.
 */
import type { VenueId } from '../../../../src-shared/model/market.ts';
import type { ExactJson } from '../../../../src-shared/model/jsonExact.ts';
import { asArray, asObject } from '../../../../src-shared/model/jsonExact.ts';
import type { InstrumentListRequest, RestAnswer } from '../../replay/replayProtocol.ts';
import { parseBody, plainDecimal, runListing, symbolsOf, textField } from '../instrumentListing.ts';
import type { ListedInstrument, ListingLimits, ListingResult, SymbolListResult } from '../instrumentListing.ts';
import type { BinanceMarket } from './binanceSession.ts';
import { binanceInstrument } from './binanceSpec.ts';

/** Which exchangeInfo a market lists from. `us` is Binance.US, spot protocol on its own host. */
export type BinanceListing = BinanceMarket | 'us';

interface ListingRoute {
  path: string;
  /** Query the live request sends. */
  query: string;
  weight: number;
  /** Field holding the trading status of a symbol. */
  statusField: 'status' | 'contractStatus';
}

const ROUTES: Record<BinanceListing, ListingRoute> = {
  spot: { path: '/api/v3/exchangeInfo', query: '?symbolStatus=TRADING&showPermissionSets=false', weight: 20, statusField: 'status' },
  us: { path: '/api/v3/exchangeInfo', query: '', weight: 10, statusField: 'status' },
  usdm: { path: '/fapi/v1/exchangeInfo', query: '', weight: 1, statusField: 'status' },
  coinm: { path: '/dapi/v1/exchangeInfo', query: '', weight: 1, statusField: 'contractStatus' },
};

function filterField(filters: ExactJson[] | undefined, type: string, field: string): string | undefined {
  for (const f of filters ?? []) {
    const o = asObject(f);
    if (textField(o, 'filterType') === type) return plainDecimal(textField(o, field));
  }
  return undefined;
}

/** The trading symbols of an exchangeInfo body, with tick and lot sizes from their filters. */
export function parseBinanceExchangeInfo(body: string, listing: BinanceListing, venue: VenueId): ListingResult {
  const where = `${venue} exchangeInfo`;
  const parsed = parseBody(body, where);
  if (!parsed.ok) return parsed;
  const root = asObject(parsed.value);
  // Errors come back as {"code":-1121,"msg":"..."} (rest-api.md "Error Codes").
  const code = textField(root, 'code');
  if (code !== undefined) return { ok: false, error: `${where}: error ${code} ${textField(root, 'msg') ?? ''}`.trim() };
  const symbols = asArray(root?.['symbols']);
  if (symbols === undefined) return { ok: false, error: `${where}: the answer has no "symbols" list` };
  const market: BinanceMarket = listing === 'us' ? 'spot' : listing;
  const statusField = ROUTES[listing].statusField;
  const instruments: ListedInstrument[] = [];
  for (const s of symbols) {
    const o = asObject(s);
    const symbol = textField(o, 'symbol');
    if (symbol === undefined || textField(o, statusField) !== 'TRADING') continue;
    const filters = asArray(o?.['filters']);
    const tickSize = filterField(filters, 'PRICE_FILTER', 'tickSize');
    const lotSize = filterField(filters, 'LOT_SIZE', 'stepSize');
    instruments.push({ venueSymbol: binanceInstrument(venue, market, symbol).venueSymbol, ...(tickSize ? { tickSize } : {}), ...(lotSize ? { lotSize } : {}) });
  }
  return { ok: true, instruments };
}

/** Every trading symbol of one Binance market, through a budget at the market's documented IP limit. */
export function listBinanceInstruments(venue: VenueId, listing: BinanceListing, restBase: string, limits: ListingLimits): Promise<ListingResult> {
  const route = ROUTES[listing];
  return runListing({ venue, baseUrl: restBase, limits }, async (http) => {
    const r = await http.get(route.path + route.query, route.weight);
    return r.ok ? parseBinanceExchangeInfo(r.body, listing, venue) : r;
  });
}

export async function listBinanceSymbols(venue: VenueId, listing: BinanceListing, restBase: string, limits: ListingLimits): Promise<SymbolListResult> {
  return symbolsOf(await listBinanceInstruments(venue, listing, restBase, limits));
}

/**
 * The replay server's exchangeInfo: the documented envelope with one entry per recorded book
 * symbol (symbol, its trading status, base and quote asset as the engine names them). Filters are
 * left out: the recording does not say what the increments were. `symbolStatus` other than
 * TRADING lists nothing, as every recorded symbol was trading.
 */
export function binanceInstrumentsAnswer(venue: VenueId, market: BinanceMarket, req: InstrumentListRequest, symbols: readonly string[]): RestAnswer | undefined {
  const listing: BinanceListing = market;
  const route = ROUTES[listing];
  if (req.method !== 'GET' || req.url.pathname !== route.path) return undefined;
  const status = req.url.searchParams.get('symbolStatus');
  const listed = status === null || status === 'TRADING' ? symbols : [];
  const entries = listed.map((s) => {
    const i = binanceInstrument(venue, market, s);
    const head = { symbol: i.venueSymbol };
    if (market === 'spot') return { ...head, status: 'TRADING', baseAsset: i.base, quoteAsset: i.quote };
    const pair = i.venueSymbol.split('_')[0] ?? i.venueSymbol;
    const contract = i.kind === 'perpetual' ? { contractType: 'PERPETUAL' } : {};
    return { ...head, pair, ...contract, [route.statusField]: 'TRADING', baseAsset: i.base, quoteAsset: i.quote };
  });
  const body = { timezone: 'UTC', serverTime: Date.now(), rateLimits: [], exchangeFilters: [], ...(market === 'spot' ? {} : { assets: [] }), symbols: entries };
  return { status: 200, body: JSON.stringify(body) };
}
