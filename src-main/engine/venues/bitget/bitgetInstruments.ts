/**
 * Bitget instrument lists (configuration `"symbols": "all"`): v2 spot symbols and the v2
 * contracts of each futures product type, and the same routes on the local replay server.
 *
 * Docs followed:
 * - https://www.bitget.com/api-doc/spot/market/Get-Symbols `GET /api/v2/spot/public/symbols`:
 *   `status` (online trades; offline, gray, halt do not), `pricePrecision` and
 *   `quantityPrecision` are the decimals of price and quantity. "Frequency limit: 20 times/1s (IP)".
 * - https://www.bitget.com/api-doc/contract/market/Get-All-Symbols-Contracts
 *   `GET /api/v2/mix/market/contracts?productType=USDT-FUTURES|COIN-FUTURES|USDC-FUTURES`:
 *   `symbolStatus` normal trades (listed, maintain, limit_open, restrictedAPI, off do not); the
 *   price step is `priceEndStep` units of 10^-`pricePlace`; `sizeMultiplier` is the size step.
 *   "Frequency limit: 20 times/1s (IP)".
 * Answers carry `"code": "00000"` on success. Futures books are named with Bitget's product
 * suffix (bitgetSymbol.ts).
 */
import { asArray, asObject } from '../../../../src-shared/model/jsonExact.ts';
import type { ExactJson } from '../../../../src-shared/model/jsonExact.ts';
import type { InstrumentListRequest, RestAnswer } from '../../replay/replayProtocol.ts';
import { joinListings, parseBody, plainDecimal, runListing, scaledStep, stepOfDecimals, symbolsOf, textField } from '../instrumentListing.ts';
import type { ListedInstrument, ListingLimits, ListingResult, SymbolListResult } from '../instrumentListing.ts';
import { bitgetVenueSymbol, splitBitgetSymbol } from './bitgetSymbol.ts';

export const BITGET_REST_URL = 'https://api.bitget.com';
export const BITGET_SPOT_SYMBOLS_PATH = '/api/v2/spot/public/symbols';
export const BITGET_CONTRACTS_PATH = '/api/v2/mix/market/contracts';
export const BITGET_PRODUCT_TYPES = ['USDT-FUTURES', 'COIN-FUTURES', 'USDC-FUTURES'] as const;
export type BitgetProductType = (typeof BITGET_PRODUCT_TYPES)[number];

const LIMITS: ListingLimits = { weightPerWindow: 20, windowMs: 1_000 };

function envelope(body: string, where: string): { ok: true; data: ExactJson[] } | { ok: false; error: string } {
  const parsed = parseBody(body, where);
  if (!parsed.ok) return parsed;
  const root = asObject(parsed.value);
  const code = textField(root, 'code');
  if (code !== '00000') return { ok: false, error: `${where}: code ${code ?? '(none)'} ${textField(root, 'msg') ?? ''}`.trim() };
  const data = asArray(root?.['data']);
  return data === undefined ? { ok: false, error: `${where}: the answer has no "data" list` } : { ok: true, data };
}

/** The online spot symbols of a v2 spot symbols answer. */
export function parseBitgetSpotSymbols(body: string): ListingResult {
  const e = envelope(body, 'bitget spot symbols');
  if (!e.ok) return e;
  const instruments: ListedInstrument[] = [];
  for (const item of e.data) {
    const o = asObject(item);
    const symbol = textField(o, 'symbol');
    if (symbol === undefined || textField(o, 'status') !== 'online') continue;
    const tickSize = stepOfDecimals(textField(o, 'pricePrecision'));
    const lotSize = stepOfDecimals(textField(o, 'quantityPrecision'));
    instruments.push({ venueSymbol: bitgetVenueSymbol('SPOT', symbol)!, ...(tickSize ? { tickSize } : {}), ...(lotSize ? { lotSize } : {}) });
  }
  return { ok: true, instruments };
}

/** The normal contracts of a v2 contracts answer for one product type. */
export function parseBitgetContracts(body: string, productType: BitgetProductType): ListingResult {
  const e = envelope(body, `bitget contracts ${productType}`);
  if (!e.ok) return e;
  const instruments: ListedInstrument[] = [];
  for (const item of e.data) {
    const o = asObject(item);
    const symbol = textField(o, 'symbol');
    if (symbol === undefined || textField(o, 'symbolStatus') !== 'normal') continue;
    const tickSize = scaledStep(textField(o, 'priceEndStep'), textField(o, 'pricePlace'));
    const lotSize = plainDecimal(textField(o, 'sizeMultiplier'));
    instruments.push({ venueSymbol: bitgetVenueSymbol(productType, symbol)!, ...(tickSize ? { tickSize } : {}), ...(lotSize ? { lotSize } : {}) });
  }
  return { ok: true, instruments };
}

export async function listBitgetSymbols(restBase: string): Promise<SymbolListResult> {
  return symbolsOf(
    await runListing({ venue: 'bitget', baseUrl: restBase, limits: LIMITS }, async (http) => {
      const spot = await http.get(BITGET_SPOT_SYMBOLS_PATH);
      if (!spot.ok) return spot;
      const parts: ListingResult[] = [parseBitgetSpotSymbols(spot.body)];
      for (const t of BITGET_PRODUCT_TYPES) {
        const r = await http.get(`${BITGET_CONTRACTS_PATH}?productType=${t}`);
        if (!r.ok) return r;
        parts.push(parseBitgetContracts(r.body, t));
      }
      return joinListings(parts);
    }),
  );
}

const PRODUCT_OF_SUFFIX: Record<string, BitgetProductType> = { _UMCBL: 'USDT-FUTURES', _DMCBL: 'COIN-FUTURES', _CMCBL: 'USDC-FUTURES' };

/**
 * The replay server's v2 listings: the recorded spot symbols on the spot route (online) and the
 * recorded contracts on the contracts route of their product type (normal), in the documented
 * envelope. Precisions are left out: the recording does not say what they were.
 */
export function bitgetInstrumentsAnswer(req: InstrumentListRequest, symbols: readonly string[]): RestAnswer | undefined {
  if (req.method !== 'GET') return undefined;
  const wrap = (data: unknown[]) => ({ status: 200, body: JSON.stringify({ code: '00000', msg: 'success', requestTime: Date.now(), data }) });
  const split = symbols.map((s) => splitBitgetSymbol(s));
  if (req.url.pathname === BITGET_SPOT_SYMBOLS_PATH) return wrap(split.filter((s) => s.suffix === '').map((s) => ({ symbol: s.instId, status: 'online' })));
  if (req.url.pathname === BITGET_CONTRACTS_PATH) {
    const type = req.url.searchParams.get('productType');
    return wrap(split.filter((s) => s.suffix !== '' && PRODUCT_OF_SUFFIX[s.suffix] === type).map((s) => ({ symbol: s.instId, symbolType: 'perpetual', symbolStatus: 'normal' })));
  }
  return undefined;
}
