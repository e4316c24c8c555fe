/**
 * Deribit instrument lists (configuration `"symbols": "all"`), and the same route on the local
 * replay server.
 *
 * Docs followed:
 * - https://docs.deribit.com/api-reference/market-data/public-get_instruments
 *   `GET /api/v2/public/get_instruments?currency=any&expired=false`: a JSON-RPC answer whose
 *   `result` lists instruments with `kind` (future, option, spot, future_combo, option_combo),
 *   `is_active` ("indicates if the instrument can currently be traded"), `state` (open),
 *   `tick_size` and `min_trade_amount`; errors come back as `error: {code, message}`.
 *   Combinations are not one instrument's book (deribitSpec.ts), so futures, perpetuals,
 *   options and spot pairs are listed; options are Deribit's main market.
 * - https://docs.deribit.com/articles/rate-limits: non-matching-engine requests draw on a credit
 *   pool refilled at about 20 requests per second.
 */
import { asArray, asObject } from '../../../../src-shared/model/jsonExact.ts';
import type { InstrumentListRequest, RestAnswer } from '../../replay/replayProtocol.ts';
import { parseBody, plainDecimal, runListing, symbolsOf, textField } from '../instrumentListing.ts';
import type { ListedInstrument, ListingLimits, ListingResult, SymbolListResult } from '../instrumentListing.ts';
import { deribitInstrument } from './deribitSpec.ts';

export const DERIBIT_REST_URL = 'https://www.deribit.com';
export const DERIBIT_INSTRUMENTS_PATH = '/api/v2/public/get_instruments';

const LIMITS: ListingLimits = { weightPerWindow: 20, windowMs: 1_000 };
const BOOK_KINDS = new Set(['future', 'option', 'spot']);

/** The active single instruments of a get_instruments answer. */
export function parseDeribitInstruments(body: string): ListingResult {
  const where = 'deribit get_instruments';
  const parsed = parseBody(body, where);
  if (!parsed.ok) return parsed;
  const root = asObject(parsed.value);
  const error = asObject(root?.['error']);
  if (error !== undefined) return { ok: false, error: `${where}: error ${textField(error, 'code') ?? '?'} ${textField(error, 'message') ?? ''}`.trim() };
  const list = asArray(root?.['result']);
  if (list === undefined) return { ok: false, error: `${where}: the answer has no result list` };
  const instruments: ListedInstrument[] = [];
  for (const item of list) {
    const o = asObject(item);
    const name = textField(o, 'instrument_name');
    const state = textField(o, 'state');
    if (name === undefined || o?.['is_active'] !== true || (state !== undefined && state !== 'open') || !BOOK_KINDS.has(textField(o, 'kind') ?? '')) continue;
    const tickSize = plainDecimal(textField(o, 'tick_size'));
    const lotSize = plainDecimal(textField(o, 'min_trade_amount'));
    instruments.push({ venueSymbol: deribitInstrument(name).venueSymbol, ...(tickSize ? { tickSize } : {}), ...(lotSize ? { lotSize } : {}) });
  }
  return { ok: true, instruments };
}

export async function listDeribitSymbols(restBase: string): Promise<SymbolListResult> {
  return symbolsOf(
    await runListing({ venue: 'deribit', baseUrl: restBase, limits: LIMITS }, async (http) => {
      const r = await http.get(`${DERIBIT_INSTRUMENTS_PATH}?currency=any&expired=false`);
      return r.ok ? parseDeribitInstruments(r.body) : r;
    }),
  );
}

/**
 * The replay server's get_instruments: the documented JSON-RPC envelope with the recorded
 * instruments, active and open, with their kind and currencies, filtered by `currency` and
 * `kind` as Deribit does. Ticks and amounts are left out: the recording does not say what they
 * were.
 */
export function deribitInstrumentsAnswer(req: InstrumentListRequest, symbols: readonly string[]): RestAnswer | undefined {
  if (req.method !== 'GET' || req.url.pathname !== DERIBIT_INSTRUMENTS_PATH) return undefined;
  const currency = (req.url.searchParams.get('currency') ?? 'any').toUpperCase();
  const kind = req.url.searchParams.get('kind');
  const result = symbols
    .map((s) => deribitInstrument(s))
    .map((i) => ({ i, kind: i.kind === 'perpetual' ? 'future' : i.kind }))
    .filter(({ i, kind: k }) => (currency === 'ANY' || i.base === currency) && (kind === null || kind === k))
    .map(({ i, kind: k }) => ({ instrument_name: i.venueSymbol, kind: k, is_active: true, state: 'open', base_currency: i.base, quote_currency: i.quote, ...(i.kind === 'perpetual' ? { settlement_period: 'perpetual' } : {}) }));
  return { status: 200, body: JSON.stringify({ jsonrpc: '2.0', result, testnet: false }) };
}
