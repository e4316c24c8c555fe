/**
 * Hyperliquid instrument lists (configuration `"symbols": "all"`): the perpetuals universe, and
 * the same request on the local replay server.
 *
 * Docs followed:
 * - https://hyperliquid.gitbook.io/hyperliquid-docs/for-developers/api/info-endpoint/perpetuals
 *   ("Retrieve perpetuals metadata"): `POST /info {"type": "meta"}` answers
 *   `{"universe": [{"name", "szDecimals", "maxLeverage", "onlyIsolated"?, "isDelisted"?}],
 *   "marginTables": [...]}`; delisted coins are marked `isDelisted: true`. `szDecimals` is the
 *   size's decimals. Prices follow a significant-figures rule rather than a fixed tick, so no
 *   tick size is listed.
 * - https://hyperliquid.gitbook.io/hyperliquid-docs/for-developers/api/rate-limits-and-user-limits:
 *   1200 weight per minute per IP; one listing is one request.
 */
import { asArray, asObject } from '../../../../src-shared/model/jsonExact.ts';
import type { InstrumentListRequest, RestAnswer } from '../../replay/replayProtocol.ts';
import { parseBody, runListing, stepOfDecimals, symbolsOf, textField } from '../instrumentListing.ts';
import type { ListedInstrument, ListingLimits, ListingResult, SymbolListResult } from '../instrumentListing.ts';
import { hyperliquidInstrument } from './hyperliquidSpec.ts';

export const HYPERLIQUID_REST_URL = 'https://api.hyperliquid.xyz';
export const HYPERLIQUID_INFO_PATH = '/info';

/** POSTs do not queue on the budget (listingClient.post); the figure documents the IP limit. */
const LIMITS: ListingLimits = { weightPerWindow: 1200, windowMs: 60_000 };

/** The listed (not delisted) perpetuals of a meta answer. */
export function parseHyperliquidMeta(body: string): ListingResult {
  const where = 'hyperliquid meta';
  const parsed = parseBody(body, where);
  if (!parsed.ok) return parsed;
  const universe = asArray(asObject(parsed.value)?.['universe']);
  if (universe === undefined) return { ok: false, error: `${where}: the answer has no universe` };
  const instruments: ListedInstrument[] = [];
  for (const item of universe) {
    const o = asObject(item);
    const name = textField(o, 'name');
    if (name === undefined || o?.['isDelisted'] === true) continue;
    const lotSize = stepOfDecimals(textField(o, 'szDecimals'));
    instruments.push({ venueSymbol: hyperliquidInstrument(name).venueSymbol, ...(lotSize ? { lotSize } : {}) });
  }
  return { ok: true, instruments };
}

export async function listHyperliquidSymbols(restBase: string): Promise<SymbolListResult> {
  return symbolsOf(
    await runListing({ venue: 'hyperliquid', baseUrl: restBase, limits: LIMITS }, async (http) => {
      const r = await http.post(HYPERLIQUID_INFO_PATH, { type: 'meta' });
      return r.ok ? parseHyperliquidMeta(r.body) : r;
    }),
  );
}

/**
 * The replay server's `/info` for `{"type": "meta"}`: the recorded perpetual coins as the
 * universe (names only: the recording does not say their decimals or leverage), no margin
 * tables. Other info requests are not this route.
 */
export function hyperliquidInstrumentsAnswer(req: InstrumentListRequest, symbols: readonly string[]): RestAnswer | undefined {
  if (req.method !== 'POST' || req.url.pathname !== HYPERLIQUID_INFO_PATH) return undefined;
  let ask: unknown;
  try {
    ask = JSON.parse(req.body);
  } catch {
    return { status: 422, body: 'Failed to deserialize the JSON body into the target type' };
  }
  if ((ask as { type?: unknown } | null)?.type !== 'meta') return undefined;
  const universe = symbols.filter((s) => hyperliquidInstrument(s).kind === 'perpetual').map((name) => ({ name }));
  return { status: 200, body: JSON.stringify({ universe, marginTables: [] }) };
}
