/**
 * OKX instrument lists (configuration `"symbols": "all"`): spot, perpetual swaps and dated
 * futures from the public instruments endpoint, and the same route on the local replay server.
 *
 * Docs followed: https://www.okx.com/docs-v5/en/#public-data-rest-api-get-instruments
 * - `GET /api/v5/public/instruments?instType=SPOT|SWAP|FUTURES|OPTION`; "Rate Limit: 20 requests
 *   per 2 seconds", rule "IP + Instrument Type".
 * - `state`: `live`, `suspend`, `preopen` ("there will be preopen before the Futures and Options
 *   new contracts state is live"), `test` ("Test pairs, can't be traded"): only `live` trades.
 * - `tickSz` is the tick size; `lotSz` the lot size (contracts for derivatives, base currency for
 *   spot).
 * - Answers carry `{"code": "0", "msg": "", "data": [...]}`; any other code is an error.
 * Options are not listed for "all": there are thousands of strikes, each a book of its own, and a
 * configuration that wants them names them.
 */
import { asArray, asObject } from '../../../../src-shared/model/jsonExact.ts';
import type { InstrumentListRequest, RestAnswer } from '../../replay/replayProtocol.ts';
import { joinListings, parseBody, plainDecimal, runListing, symbolsOf, textField } from '../instrumentListing.ts';
import type { ListedInstrument, ListingLimits, ListingResult, SymbolListResult } from '../instrumentListing.ts';
import { okxInstrument } from './okxSpec.ts';

export const OKX_REST_URL = 'https://www.okx.com';
export const OKX_INSTRUMENTS_PATH = '/api/v5/public/instruments';

export type OkxInstType = 'SPOT' | 'SWAP' | 'FUTURES' | 'OPTION';

/** The instrument types "all" follows. */
export const OKX_LISTED_TYPES: readonly OkxInstType[] = ['SPOT', 'SWAP', 'FUTURES'];

/** "20 requests per 2 seconds" per IP and instrument type: one budget at that rate is within it. */
const LIMITS: ListingLimits = { weightPerWindow: 20, windowMs: 2_000 };

/** The live instruments of one instruments answer. */
export function parseOkxInstruments(body: string, instType: OkxInstType): ListingResult {
  const where = `okx instruments ${instType}`;
  const parsed = parseBody(body, where);
  if (!parsed.ok) return parsed;
  const root = asObject(parsed.value);
  const code = textField(root, 'code');
  if (code !== '0') return { ok: false, error: `${where}: code ${code ?? '(none)'} ${textField(root, 'msg') ?? ''}`.trim() };
  const data = asArray(root?.['data']);
  if (data === undefined) return { ok: false, error: `${where}: the answer has no "data" list` };
  const instruments: ListedInstrument[] = [];
  for (const d of data) {
    const o = asObject(d);
    const instId = textField(o, 'instId');
    if (instId === undefined || textField(o, 'state') !== 'live') continue;
    const tickSize = plainDecimal(textField(o, 'tickSz'));
    const lotSize = plainDecimal(textField(o, 'lotSz'));
    instruments.push({ venueSymbol: okxInstrument(instId).venueSymbol, ...(tickSize ? { tickSize } : {}), ...(lotSize ? { lotSize } : {}) });
  }
  return { ok: true, instruments };
}

export function listOkxInstruments(restBase: string, types: readonly OkxInstType[] = OKX_LISTED_TYPES): Promise<ListingResult> {
  return runListing({ venue: 'okx', baseUrl: restBase, limits: LIMITS }, async (http) => {
    const parts: ListingResult[] = [];
    for (const t of types) {
      const r = await http.get(`${OKX_INSTRUMENTS_PATH}?instType=${t}`);
      parts.push(r.ok ? parseOkxInstruments(r.body, t) : r);
      if (!r.ok) break;
    }
    return joinListings(parts);
  });
}

export async function listOkxSymbols(restBase: string): Promise<SymbolListResult> {
  return symbolsOf(await listOkxInstruments(restBase));
}

const TYPE_OF_KIND: Record<string, OkxInstType> = { spot: 'SPOT', perpetual: 'SWAP', future: 'FUTURES', option: 'OPTION' };

/**
 * The replay server's instruments route: the documented envelope with the recorded instruments of
 * the asked type, each `live`, with the identity fields OKX documents for its type (base/quote for
 * spot; underlying, family, settlement currency and contract type for derivatives). Sizes and
 * ticks are left out: the recording does not say what they were.
 */
export function okxInstrumentsAnswer(req: InstrumentListRequest, symbols: readonly string[]): RestAnswer | undefined {
  if (req.method !== 'GET' || req.url.pathname !== OKX_INSTRUMENTS_PATH) return undefined;
  const instType = req.url.searchParams.get('instType');
  if (instType === null || instType === '') {
    // OKX's error for a missing mandatory parameter (docs-v5 "Error Code", 50014).
    return { status: 400, body: JSON.stringify({ code: '50014', msg: 'Parameter instType can not be empty.', data: [] }) };
  }
  const data = symbols
    .map((s) => okxInstrument(s))
    .filter((i) => TYPE_OF_KIND[i.kind] === instType)
    .map((i) => {
      if (i.kind === 'spot') return { instType, instId: i.venueSymbol, baseCcy: i.base, quoteCcy: i.quote, state: 'live' };
      const family = `${i.base}-${i.quote}`;
      return { instType, instId: i.venueSymbol, uly: family, instFamily: family, settleCcy: i.inverse ? i.base : i.quote, ctType: i.inverse ? 'inverse' : 'linear', state: 'live' };
    });
  return { status: 200, body: JSON.stringify({ code: '0', msg: '', data }) };
}
