/**
 * KuCoin spot instrument lists (configuration `"symbols": "all"`), and the same route on the local
 * replay server.
 *
 * Docs followed:
 * - https://www.kucoin.com/docs-new/rest/spot-trading/market-data/get-all-symbols
 *   `GET /api/v2/symbols`: `{"code": "200000", "data": [...]}`; `enableTrading` says whether the
 *   symbol trades; `priceIncrement` is the tick, `baseIncrement` the size step. Any other code
 *   is an error with its `msg`.
 * - https://www.kucoin.com/docs/basic-info/request-rate-limit/rest-api: Public resource pool
 *   2000 per 30 s per IP (the spec's REST budget, kucoinSpec.ts); this endpoint weighs 4.
 */
import { asArray, asObject } from '../../../../src-shared/model/jsonExact.ts';
import type { InstrumentListRequest, RestAnswer } from '../../replay/replayProtocol.ts';
import { parseBody, plainDecimal, runListing, symbolsOf, textField } from '../instrumentListing.ts';
import type { ListedInstrument, ListingLimits, ListingResult, SymbolListResult } from '../instrumentListing.ts';
import { kucoinInstrument } from './kucoinSpec.ts';

export const KUCOIN_SYMBOLS_PATH = '/api/v2/symbols';
const SYMBOLS_WEIGHT = 4;

/** The trading symbols of a symbols answer. */
export function parseKucoinSymbols(body: string): ListingResult {
  const where = 'kucoin symbols';
  const parsed = parseBody(body, where);
  if (!parsed.ok) return parsed;
  const root = asObject(parsed.value);
  const code = textField(root, 'code');
  if (code !== '200000') return { ok: false, error: `${where}: code ${code ?? '(none)'} ${textField(root, 'msg') ?? ''}`.trim() };
  const data = asArray(root?.['data']);
  if (data === undefined) return { ok: false, error: `${where}: the answer has no "data" list` };
  const instruments: ListedInstrument[] = [];
  for (const item of data) {
    const o = asObject(item);
    const symbol = textField(o, 'symbol');
    if (symbol === undefined || o?.['enableTrading'] !== true) continue;
    const tickSize = plainDecimal(textField(o, 'priceIncrement'));
    const lotSize = plainDecimal(textField(o, 'baseIncrement'));
    instruments.push({ venueSymbol: kucoinInstrument(symbol).venueSymbol, ...(tickSize ? { tickSize } : {}), ...(lotSize ? { lotSize } : {}) });
  }
  return { ok: true, instruments };
}

export async function listKucoinSymbols(restBase: string, limits: ListingLimits): Promise<SymbolListResult> {
  return symbolsOf(
    await runListing({ venue: 'kucoin', baseUrl: restBase, limits }, async (http) => {
      const r = await http.get(KUCOIN_SYMBOLS_PATH, SYMBOLS_WEIGHT);
      return r.ok ? parseKucoinSymbols(r.body) : r;
    }),
  );
}

/**
 * The replay server's symbols route: the documented envelope with the recorded symbols, trading,
 * with their currencies. Increments are left out: the recording does not say what they were.
 */
export function kucoinInstrumentsAnswer(req: InstrumentListRequest, symbols: readonly string[]): RestAnswer | undefined {
  if (req.method !== 'GET' || req.url.pathname !== KUCOIN_SYMBOLS_PATH) return undefined;
  const data = symbols.map((s) => {
    const i = kucoinInstrument(s);
    return { symbol: i.venueSymbol, name: i.venueSymbol, baseCurrency: i.base, quoteCurrency: i.quote, enableTrading: true };
  });
  return { status: 200, body: JSON.stringify({ code: '200000', data }) };
}
