/**
 * Coinbase instrument lists (configuration `"symbols": "all"`): Advanced Trade's public products
 * and the Exchange's products, and the same routes on the local replay servers.
 *
 * Docs followed:
 * - https://docs.cdp.coinbase.com/api-reference/advanced-trade-api/rest-api/public/list-public-products
 *   `GET /api/v3/brokerage/market/products` (no authentication for the /market endpoints):
 *   `product_type` SPOT | FUTURE, `cursor` paging with `pagination.next_cursor` / `has_next`.
 *   Trading flags per product: `is_disabled` ("product unavailable for trading"),
 *   `trading_disabled`, `cancel_only` ("only cancellation operations permitted"), `view_only`,
 *   and `status`. Spot only: Advanced Trade's level2 channel is the spot book this venue follows.
 *   `price_increment` is the tick, `base_increment` the size step.
 * - https://docs.cloud.coinbase.com/advanced-trade/docs/rest-api-rate-limits: public endpoints
 *   10 requests per second per IP.
 * - https://docs.cdp.coinbase.com/exchange/reference/exchangerestapi_getproducts (Exchange)
 *   `GET /products`: `status` online | offline | internal | delisted; "Only a maximum of one of
 *   trading_disabled, cancel_only, post_only, limit_only can be true at once. If none are true,
 *   the product is trading normally" (post-only and limit-only books still trade and are
 *   followed); `quote_increment` is the tick, `base_increment` the size step.
 * - https://docs.cdp.coinbase.com/exchange/rest-api/rate-limits: "Public Endpoints: Requests per
 *   second per IP: 10" (bursts up to 15).
 * A product is listed when its status is `online` and no flag says it does not trade.
 */
import type { VenueId } from '../../../../src-shared/model/market.ts';
import type { ExactObject } from '../../../../src-shared/model/jsonExact.ts';
import { asArray, asObject } from '../../../../src-shared/model/jsonExact.ts';
import type { InstrumentListRequest, RestAnswer } from '../../replay/replayProtocol.ts';
import { joinListings, parseBody, plainDecimal, runListing, symbolsOf, textField } from '../instrumentListing.ts';
import type { ListedInstrument, ListingLimits, ListingResult, SymbolListResult } from '../instrumentListing.ts';
import { coinbaseInstrument } from './coinbaseSpec.ts';

export const COINBASE_AT_REST_URL = 'https://api.coinbase.com';
export const COINBASE_EXCHANGE_REST_URL = 'https://api.exchange.coinbase.com';
export const COINBASE_AT_PRODUCTS_PATH = '/api/v3/brokerage/market/products';
export const COINBASE_EXCHANGE_PRODUCTS_PATH = '/products';

const LIMITS: ListingLimits = { weightPerWindow: 10, windowMs: 1_000 };
const MAX_PAGES = 50;

function flag(o: ExactObject | undefined, key: string): boolean {
  return o?.[key] === true;
}

/** Online, and no documented flag that stops trading. */
function trades(o: ExactObject | undefined, flags: readonly string[]): boolean {
  return textField(o, 'status') === 'online' && !flags.some((f) => flag(o, f));
}

const AT_STOPS = ['is_disabled', 'trading_disabled', 'cancel_only', 'view_only'];
const EXCHANGE_STOPS = ['trading_disabled', 'cancel_only'];

/** One page of Advanced Trade public products: trading spot products and the next cursor ("" at the end). */
export function parseCoinbaseProducts(body: string): { ok: true; instruments: ListedInstrument[]; nextCursor: string } | { ok: false; error: string } {
  const where = 'coinbase market/products';
  const parsed = parseBody(body, where);
  if (!parsed.ok) return parsed;
  const root = asObject(parsed.value);
  const products = asArray(root?.['products']);
  if (products === undefined) {
    const err = textField(root, 'error') ?? textField(root, 'message');
    return { ok: false, error: `${where}: ${err !== undefined ? `error ${err}` : 'the answer has no "products" list'}` };
  }
  const instruments: ListedInstrument[] = [];
  for (const p of products) {
    const o = asObject(p);
    const id = textField(o, 'product_id');
    if (id === undefined || textField(o, 'product_type') !== 'SPOT' || !trades(o, AT_STOPS)) continue;
    const tickSize = plainDecimal(textField(o, 'price_increment') ?? textField(o, 'quote_increment'));
    const lotSize = plainDecimal(textField(o, 'base_increment'));
    instruments.push({ venueSymbol: coinbaseInstrument('coinbase', id).venueSymbol, ...(tickSize ? { tickSize } : {}), ...(lotSize ? { lotSize } : {}) });
  }
  const pagination = asObject(root?.['pagination']);
  const nextCursor = pagination?.['has_next'] === true ? (textField(pagination, 'next_cursor') ?? '') : '';
  return { ok: true, instruments, nextCursor };
}

/** The Exchange's products answer: trading products. */
export function parseCoinbaseExchangeProducts(body: string): ListingResult {
  const where = 'coinbase-exchange products';
  const parsed = parseBody(body, where);
  if (!parsed.ok) return parsed;
  const list = asArray(parsed.value);
  if (list === undefined) {
    const msg = textField(asObject(parsed.value), 'message');
    return { ok: false, error: `${where}: ${msg !== undefined ? `error ${msg}` : 'the answer is not a list of products'}` };
  }
  const instruments: ListedInstrument[] = [];
  for (const p of list) {
    const o = asObject(p);
    const id = textField(o, 'id');
    if (id === undefined || !trades(o, EXCHANGE_STOPS)) continue;
    const tickSize = plainDecimal(textField(o, 'quote_increment'));
    const lotSize = plainDecimal(textField(o, 'base_increment'));
    instruments.push({ venueSymbol: coinbaseInstrument('coinbase-exchange', id).venueSymbol, ...(tickSize ? { tickSize } : {}), ...(lotSize ? { lotSize } : {}) });
  }
  return { ok: true, instruments };
}

export function listCoinbaseInstruments(restBase: string): Promise<ListingResult> {
  return runListing({ venue: 'coinbase', baseUrl: restBase, limits: LIMITS }, async (http) => {
    const parts: ListingResult[] = [];
    let cursor = '';
    for (let page = 0; page < MAX_PAGES; page++) {
      const r = await http.get(`${COINBASE_AT_PRODUCTS_PATH}?product_type=SPOT${cursor !== '' ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      if (!r.ok) return r;
      const p = parseCoinbaseProducts(r.body);
      if (!p.ok) return p;
      parts.push({ ok: true, instruments: p.instruments });
      if (p.nextCursor === '') return joinListings(parts);
      if (p.nextCursor === cursor) return { ok: false, error: `coinbase market/products: the cursor did not advance (${cursor})` };
      cursor = p.nextCursor;
    }
    return { ok: false, error: `coinbase market/products: more than ${MAX_PAGES} pages` };
  });
}

export async function listCoinbaseSymbols(restBase: string): Promise<SymbolListResult> {
  return symbolsOf(await listCoinbaseInstruments(restBase));
}

export async function listCoinbaseExchangeSymbols(restBase: string): Promise<SymbolListResult> {
  return symbolsOf(
    await runListing({ venue: 'coinbase-exchange', baseUrl: restBase, limits: LIMITS }, async (http) => {
      const r = await http.get(COINBASE_EXCHANGE_PRODUCTS_PATH);
      return r.ok ? parseCoinbaseExchangeProducts(r.body) : r;
    }),
  );
}

/**
 * The replay servers' product lists: the documented shapes with the recorded products, online and
 * with no flag set, with their base and quote. Increments are left out: the recording does not
 * say what they were.
 */
export function coinbaseInstrumentsAnswer(venue: VenueId, req: InstrumentListRequest, symbols: readonly string[]): RestAnswer | undefined {
  if (req.method !== 'GET') return undefined;
  const products = symbols.map((s) => coinbaseInstrument(venue, s));
  if (venue === 'coinbase' && req.url.pathname === COINBASE_AT_PRODUCTS_PATH) {
    const type = req.url.searchParams.get('product_type');
    const listed = products
      .filter((i) => i.kind === 'spot' && (type === null || type === 'SPOT'))
      .map((i) => ({ product_id: i.venueSymbol, base_currency_id: i.base, quote_currency_id: i.quote, status: 'online', is_disabled: false, trading_disabled: false, cancel_only: false, view_only: false, product_type: 'SPOT' }));
    return { status: 200, body: JSON.stringify({ products: listed, num_products: listed.length, pagination: { prev_cursor: '', next_cursor: '', has_next: false, has_prev: false } }) };
  }
  if (venue === 'coinbase-exchange' && req.url.pathname === COINBASE_EXCHANGE_PRODUCTS_PATH) {
    const listed = products.map((i) => ({
      id: i.venueSymbol,
      base_currency: i.base,
      quote_currency: i.quote,
      display_name: `${i.base}/${i.quote}`,
      status: 'online',
      status_message: '',
      trading_disabled: false,
      cancel_only: false,
      post_only: false,
      limit_only: false,
      auction_mode: false,
    }));
    return { status: 200, body: JSON.stringify(listed) };
  }
  return undefined;
}
