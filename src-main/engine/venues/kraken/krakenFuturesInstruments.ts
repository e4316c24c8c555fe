/**
 * Kraken Futures instrument lists (configuration `"symbols": "all"`), and the same route on the
 * local replay server.
 *
 * Docs followed:
 * - https://docs.kraken.com/api/docs/futures-api/trading/get-instruments
 *   `GET /derivatives/api/v3/instruments`: `{"result": "success", "instruments": [...]}`;
 *   `tradeable` says whether an instrument can be traded (index entries such as `rr_xbtusd` are
 *   not); `type` futures_inverse | futures_vanilla | flexible_futures for the futures this venue
 *   follows; `tickSize` is the tick (a JSON number, read as its exact text);
 *   `contractValueTradePrecision` the number of decimals an order size may have.
 * - https://docs.kraken.com/api/docs/guides/futures-rate-limits: the cost budget there covers
 *   private endpoints; one listing is one public request, paced at 1 per second all the same.
 */
import { asArray, asObject } from '../../../../src-shared/model/jsonExact.ts';
import type { InstrumentListRequest, RestAnswer } from '../../replay/replayProtocol.ts';
import { parseBody, plainDecimal, runListing, symbolsOf, textField } from '../instrumentListing.ts';
import type { ListedInstrument, ListingLimits, ListingResult, SymbolListResult } from '../instrumentListing.ts';
import { krakenFuturesInstrument } from './krakenFuturesSpec.ts';

export const KRAKEN_FUTURES_REST_URL = 'https://futures.kraken.com';
export const KRAKEN_FUTURES_INSTRUMENTS_PATH = '/derivatives/api/v3/instruments';

const LIMITS: ListingLimits = { weightPerWindow: 1, windowMs: 1_000 };
const FUTURE_TYPES = new Set(['futures_inverse', 'futures_vanilla', 'flexible_futures']);

/** The tradeable futures of an instruments answer. */
export function parseKrakenFuturesInstruments(body: string): ListingResult {
  const where = 'kraken-futures instruments';
  const parsed = parseBody(body, where);
  if (!parsed.ok) return parsed;
  const root = asObject(parsed.value);
  const result = textField(root, 'result');
  if (result !== 'success') return { ok: false, error: `${where}: result ${result ?? '(none)'} ${textField(root, 'error') ?? ''}`.trim() };
  const list = asArray(root?.['instruments']);
  if (list === undefined) return { ok: false, error: `${where}: the answer has no "instruments" list` };
  const instruments: ListedInstrument[] = [];
  for (const item of list) {
    const o = asObject(item);
    const symbol = textField(o, 'symbol');
    if (symbol === undefined || o?.['tradeable'] !== true || !FUTURE_TYPES.has(textField(o, 'type') ?? '')) continue;
    const tickSize = plainDecimal(textField(o, 'tickSize'));
    const precision = textField(o, 'contractValueTradePrecision');
    const lotSize = precision !== undefined && /^-?\d{1,2}$/.test(precision) ? plainDecimal(`1e${-Number(precision)}`) : undefined;
    instruments.push({ venueSymbol: krakenFuturesInstrument(symbol).venueSymbol, ...(tickSize ? { tickSize } : {}), ...(lotSize ? { lotSize } : {}) });
  }
  return { ok: true, instruments };
}

export async function listKrakenFuturesSymbols(restBase: string): Promise<SymbolListResult> {
  return symbolsOf(
    await runListing({ venue: 'kraken-futures', baseUrl: restBase, limits: LIMITS }, async (http) => {
      const r = await http.get(KRAKEN_FUTURES_INSTRUMENTS_PATH);
      return r.ok ? parseKrakenFuturesInstruments(r.body) : r;
    }),
  );
}

/**
 * The replay server's instruments route: the documented envelope with one tradeable entry per
 * recorded product, its type from the product id (PI_/FI_ inverse, PF_ flexible, FF_ vanilla).
 * Ticks and precisions are left out: the recording does not say what they were.
 */
export function krakenFuturesInstrumentsAnswer(req: InstrumentListRequest, symbols: readonly string[]): RestAnswer | undefined {
  if (req.method !== 'GET' || req.url.pathname !== KRAKEN_FUTURES_INSTRUMENTS_PATH) return undefined;
  const instruments = symbols.map((s) => {
    const prefix = s.slice(0, 2);
    const type = prefix === 'PF' ? 'flexible_futures' : prefix === 'FF' ? 'futures_vanilla' : 'futures_inverse';
    return { symbol: s, type, tradeable: true };
  });
  return { status: 200, body: JSON.stringify({ instruments, result: 'success', serverTime: new Date().toISOString() }) };
}
