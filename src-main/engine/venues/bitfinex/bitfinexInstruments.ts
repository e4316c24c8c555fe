/**
 * Bitfinex instrument lists (configuration `"symbols": "all"`), and the same routes on the local
 * replay server.
 *
 * Docs followed: https://docs.bitfinex.com/reference/rest-public-conf
 * - `GET /v2/conf/pub:list:pair:exchange` "Fetch a list of valid exchange trading pairs" and
 *   `GET /v2/conf/pub:list:pair:futures` "Fetch a list of valid derivative pairs": each answers
 *   `[[PAIR, PAIR, ...]]`, pairs without the "t" prefix the trading symbols carry ("BTCUSD",
 *   "BTCF0:USTF0"). Only valid (listed) pairs are in the lists.
 * - https://docs.bitfinex.com/docs/requirements-and-limitations: the configs endpoint allows 90
 *   requests per minute.
 * Errors come back as `["error", CODE, "message"]`.
 */
import type { ExactJson } from '../../../../src-shared/model/jsonExact.ts';
import { asArray } from '../../../../src-shared/model/jsonExact.ts';
import type { InstrumentListRequest, RestAnswer } from '../../replay/replayProtocol.ts';
import { joinListings, parseBody, runListing, symbolsOf } from '../instrumentListing.ts';
import type { ListingLimits, ListingResult, SymbolListResult } from '../instrumentListing.ts';
import { bitfinexInstrument } from './bitfinexSpec.ts';

export const BITFINEX_REST_URL = 'https://api-pub.bitfinex.com';
export const BITFINEX_EXCHANGE_PAIRS_PATH = '/v2/conf/pub:list:pair:exchange';
export const BITFINEX_FUTURES_PAIRS_PATH = '/v2/conf/pub:list:pair:futures';

const LIMITS: ListingLimits = { weightPerWindow: 90, windowMs: 60_000 };

/** The trading symbols ("t" + pair) of a pair list answer. */
export function parseBitfinexPairs(body: string, list: string): ListingResult {
  const where = `bitfinex ${list}`;
  const parsed = parseBody(body, where);
  if (!parsed.ok) return parsed;
  const outer = asArray(parsed.value);
  if (outer !== undefined && outer[0] === 'error') return { ok: false, error: `${where}: error ${String(outer[1] ?? '?')} ${String(outer[2] ?? '')}`.trim() };
  const pairs = asArray(outer?.[0] as ExactJson | undefined);
  if (pairs === undefined) return { ok: false, error: `${where}: the answer is not [[pairs]]` };
  const symbols = pairs.filter((p): p is string => typeof p === 'string' && p.length > 0);
  return { ok: true, instruments: symbols.map((p) => ({ venueSymbol: bitfinexInstrument(`t${p}`).venueSymbol })) };
}

export async function listBitfinexSymbols(restBase: string): Promise<SymbolListResult> {
  return symbolsOf(
    await runListing({ venue: 'bitfinex', baseUrl: restBase, limits: LIMITS }, async (http) => {
      const exchange = await http.get(BITFINEX_EXCHANGE_PAIRS_PATH);
      if (!exchange.ok) return exchange;
      const futures = await http.get(BITFINEX_FUTURES_PAIRS_PATH);
      if (!futures.ok) return futures;
      return joinListings([parseBitfinexPairs(exchange.body, 'pub:list:pair:exchange'), parseBitfinexPairs(futures.body, 'pub:list:pair:futures')]);
    }),
  );
}

/** The replay server's pair lists: the recorded trading pairs (perpetuals on the futures list), "t" dropped. */
export function bitfinexInstrumentsAnswer(req: InstrumentListRequest, symbols: readonly string[]): RestAnswer | undefined {
  if (req.method !== 'GET') return undefined;
  const path = decodeURIComponent(req.url.pathname);
  const futures = path === BITFINEX_FUTURES_PAIRS_PATH;
  if (path !== BITFINEX_EXCHANGE_PAIRS_PATH && !futures) return undefined;
  const pairs = symbols.filter((s) => s.startsWith('t') && (bitfinexInstrument(s).kind === 'perpetual') === futures).map((s) => s.slice(1));
  return { status: 200, body: JSON.stringify([pairs]) };
}
