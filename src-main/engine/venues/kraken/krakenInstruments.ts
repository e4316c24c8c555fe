/**
 * Kraken spot instrument lists (configuration `"symbols": "all"`), and the same route on the local
 * replay server.
 *
 * Docs followed:
 * - https://docs.kraken.com/api/docs/rest-api/get-tradable-asset-pairs `GET /0/public/AssetPairs`:
 *   `{"error": [], "result": {PAIR: {...}}}`; `wsname` is the pair's WebSocket v1 name
 *   ("XBT/USD"), which is how this venue's books are named (krakenSpec.ts: a v2 session puts the
 *   v2 codes on the wire itself); `status` online | cancel_only | post_only | limit_only |
 *   reduce_only, of which only `online` trades normally (older answers have no status: online);
 *   `tick_size` is the tick where given, else `pair_decimals` scales it; `lot_decimals` scales
 *   the volume. Dark-pool pairs (".d") have no `wsname`: they have no public book.
 * - https://support.kraken.com/articles/206548367-what-are-the-api-rate-limits- : public REST
 *   calls "at a frequency of 1 per second (or less) would remain within the rate limits".
 */
import { asArray, asObject } from '../../../../src-shared/model/jsonExact.ts';
import type { InstrumentListRequest, RestAnswer } from '../../replay/replayProtocol.ts';
import { parseBody, plainDecimal, runListing, stepOfDecimals, symbolsOf, textField } from '../instrumentListing.ts';
import type { ListedInstrument, ListingLimits, ListingResult, SymbolListResult } from '../instrumentListing.ts';
import { krakenInstrument } from './krakenSpec.ts';

export const KRAKEN_REST_URL = 'https://api.kraken.com';
export const KRAKEN_ASSET_PAIRS_PATH = '/0/public/AssetPairs';

const LIMITS: ListingLimits = { weightPerWindow: 1, windowMs: 1_000 };

/** The pairs of an AssetPairs answer that trade normally, by their WebSocket v1 name. */
export function parseKrakenAssetPairs(body: string): ListingResult {
  const where = 'kraken AssetPairs';
  const parsed = parseBody(body, where);
  if (!parsed.ok) return parsed;
  const root = asObject(parsed.value);
  const errors = (asArray(root?.['error']) ?? []).filter((e): e is string => typeof e === 'string');
  if (errors.length > 0) return { ok: false, error: `${where}: ${errors.join('; ')}` };
  const result = asObject(root?.['result']);
  if (result === undefined) return { ok: false, error: `${where}: the answer has no result` };
  const instruments: ListedInstrument[] = [];
  for (const pair of Object.values(result)) {
    const o = asObject(pair);
    const wsname = textField(o, 'wsname');
    const status = textField(o, 'status');
    if (wsname === undefined || (status !== undefined && status !== 'online')) continue;
    const tickSize = plainDecimal(textField(o, 'tick_size')) ?? stepOfDecimals(textField(o, 'pair_decimals'));
    const lotSize = stepOfDecimals(textField(o, 'lot_decimals'));
    instruments.push({ venueSymbol: krakenInstrument(wsname).venueSymbol, ...(tickSize ? { tickSize } : {}), ...(lotSize ? { lotSize } : {}) });
  }
  return { ok: true, instruments };
}

export async function listKrakenSymbols(restBase: string): Promise<SymbolListResult> {
  return symbolsOf(
    await runListing({ venue: 'kraken', baseUrl: restBase, limits: LIMITS }, async (http) => {
      const r = await http.get(KRAKEN_ASSET_PAIRS_PATH);
      return r.ok ? parseKrakenAssetPairs(r.body) : r;
    }),
  );
}

/**
 * The replay server's AssetPairs: the documented envelope, one `online` pair per recorded book,
 * keyed and named by its WebSocket v1 name (the key without the slash, as Kraken's altnames are).
 * Decimals are left out: the recording does not say what they were.
 */
export function krakenAssetPairsAnswer(req: InstrumentListRequest, symbols: readonly string[]): RestAnswer | undefined {
  if (req.method !== 'GET' || req.url.pathname !== KRAKEN_ASSET_PAIRS_PATH) return undefined;
  const result: Record<string, unknown> = {};
  for (const s of symbols) {
    const [base = s, quote = ''] = s.split('/');
    const altname = `${base}${quote}`;
    result[altname] = { altname, wsname: s, base, quote, status: 'online' };
  }
  return { status: 200, body: JSON.stringify({ error: [], result }) };
}
