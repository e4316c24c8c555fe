/**
 * Upbit and Bithumb instrument lists (configuration `"symbols": "all"`): both publish their
 * markets as `GET /v1/market/all`, QUOTE-BASE codes, and the same route on the local replay
 * servers.
 *
 * Docs followed:
 * - https://docs.upbit.com/kr/reference/list-trading-pairs ("마켓 코드 조회"): an array of
 *   `{market, korean_name, english_name}` (with `isDetails=true` also `market_warning` NONE |
 *   CAUTION, where CAUTION markets still trade). The list holds the markets open for trading.
 * - https://docs.upbit.com/kr/reference/rate-limits: the "market" group allows 10 requests per
 *   second per IP.
 * - https://apidocs.bithumb.com/reference/마켓코드-조회 (Bithumb's current API, an Upbit clone):
 *   the same route and shape at https://api.bithumb.com.
 * Upbit's tick depends on the price band, so no tick size is listed.
 */
import type { VenueId } from '../../../../src-shared/model/market.ts';
import { asArray, asObject } from '../../../../src-shared/model/jsonExact.ts';
import type { InstrumentListRequest, RestAnswer } from '../../replay/replayProtocol.ts';
import { parseBody, runListing, symbolsOf, textField } from '../instrumentListing.ts';
import type { ListedInstrument, ListingLimits, ListingResult, SymbolListResult } from '../instrumentListing.ts';
import { quoteBaseInstrument } from './upbitSpec.ts';

export const UPBIT_REST_URL = 'https://api.upbit.com';
export const BITHUMB_REST_URL = 'https://api.bithumb.com';
export const MARKET_ALL_PATH = '/v1/market/all';

const LIMITS: ListingLimits = { weightPerWindow: 10, windowMs: 1_000 };

/** The markets of a /v1/market/all answer. */
export function parseMarketAll(body: string, venue: VenueId): ListingResult {
  const where = `${venue} market/all`;
  const parsed = parseBody(body, where);
  if (!parsed.ok) return parsed;
  const list = asArray(parsed.value);
  if (list === undefined) {
    const err = asObject(asObject(parsed.value)?.['error']);
    return { ok: false, error: `${where}: ${err !== undefined ? `error ${textField(err, 'name') ?? ''} ${textField(err, 'message') ?? ''}`.trim() : 'the answer is not a list'}` };
  }
  const instruments: ListedInstrument[] = [];
  for (const item of list) {
    const market = textField(asObject(item), 'market');
    if (market !== undefined && market.includes('-')) instruments.push({ venueSymbol: quoteBaseInstrument(venue, market).venueSymbol });
  }
  return { ok: true, instruments };
}

export async function listMarketAllSymbols(venue: VenueId, restBase: string): Promise<SymbolListResult> {
  return symbolsOf(
    await runListing({ venue, baseUrl: restBase, limits: LIMITS }, async (http) => {
      const r = await http.get(MARKET_ALL_PATH);
      return r.ok ? parseMarketAll(r.body, venue) : r;
    }),
  );
}

/**
 * The replay server's market list: the recorded QUOTE-BASE codes (codes in another form, such as
 * Bithumb's legacy BASE_QUOTE, are not markets of this route). The recording carries no names,
 * so only `market` (and `market_warning` NONE with isDetails) is given.
 */
export function marketAllAnswer(req: InstrumentListRequest, symbols: readonly string[]): RestAnswer | undefined {
  if (req.method !== 'GET' || req.url.pathname !== MARKET_ALL_PATH) return undefined;
  const details = req.url.searchParams.get('isDetails') === 'true';
  const list = symbols.filter((s) => /^[A-Z0-9]+-[A-Z0-9]+$/.test(s)).map((market) => (details ? { market, market_warning: 'NONE' } : { market }));
  return { status: 200, body: JSON.stringify(list) };
}
