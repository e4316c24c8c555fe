/**
 * BitMEX instrument lists (configuration `"symbols": "all"`), and the same route on the local
 * replay server.
 *
 * Docs followed:
 * - https://www.bitmex.com/api/explorer/#!/Instrument/Instrument_getActive
 *   `GET /api/v1/instrument/active` "Get all active instruments and instruments that have expired
 *   in <24hrs": Instrument objects with `symbol`, `state` (Open trades; Unlisted, Settled,
 *   Closed do not), `typ` (FFWCSX perpetual, FFCCSX future, IFXXXP spot, MRCXXX... indices),
 *   `tickSize` and `lotSize` (JSON numbers, read as their exact text). Indices (".BXBT") have no
 *   book.
 * - https://www.bitmex.com/app/restAPI "Limits": unauthenticated requests 30 per minute.
 * Errors come back as `{"error": {"message", "name"}}`.
 */
import { asArray, asObject } from '../../../../src-shared/model/jsonExact.ts';
import type { InstrumentListRequest, RestAnswer } from '../../replay/replayProtocol.ts';
import { parseBody, plainDecimal, runListing, symbolsOf, textField } from '../instrumentListing.ts';
import type { ListedInstrument, ListingLimits, ListingResult, SymbolListResult } from '../instrumentListing.ts';
import { bitmexInstrument } from './bitmexSpec.ts';

export const BITMEX_REST_URL = 'https://www.bitmex.com';
export const BITMEX_ACTIVE_PATH = '/api/v1/instrument/active';

const LIMITS: ListingLimits = { weightPerWindow: 30, windowMs: 60_000 };

/** The open, tradeable instruments of an instrument/active answer. */
export function parseBitmexActive(body: string): ListingResult {
  const where = 'bitmex instrument/active';
  const parsed = parseBody(body, where);
  if (!parsed.ok) return parsed;
  const list = asArray(parsed.value);
  if (list === undefined) {
    const err = asObject(asObject(parsed.value)?.['error']);
    return { ok: false, error: `${where}: ${err !== undefined ? `error ${textField(err, 'name') ?? ''} ${textField(err, 'message') ?? ''}`.trim() : 'the answer is not a list'}` };
  }
  const instruments: ListedInstrument[] = [];
  for (const item of list) {
    const o = asObject(item);
    const symbol = textField(o, 'symbol');
    if (symbol === undefined || symbol.startsWith('.') || textField(o, 'state') !== 'Open') continue;
    const tickSize = plainDecimal(textField(o, 'tickSize'));
    const lotSize = plainDecimal(textField(o, 'lotSize'));
    instruments.push({ venueSymbol: bitmexInstrument(symbol).venueSymbol, ...(tickSize ? { tickSize } : {}), ...(lotSize ? { lotSize } : {}) });
  }
  return { ok: true, instruments };
}

export async function listBitmexSymbols(restBase: string): Promise<SymbolListResult> {
  return symbolsOf(
    await runListing({ venue: 'bitmex', baseUrl: restBase, limits: LIMITS }, async (http) => {
      const r = await http.get(BITMEX_ACTIVE_PATH);
      return r.ok ? parseBitmexActive(r.body) : r;
    }),
  );
}

/**
 * The replay server's instrument/active: the recorded symbols, Open, with the documented `typ`
 * of their kind. Tick and lot sizes are left out: the recording does not say what they were.
 */
export function bitmexInstrumentsAnswer(req: InstrumentListRequest, symbols: readonly string[]): RestAnswer | undefined {
  if (req.method !== 'GET' || req.url.pathname !== BITMEX_ACTIVE_PATH) return undefined;
  const TYP: Record<string, string> = { perpetual: 'FFWCSX', future: 'FFCCSX', spot: 'IFXXXP' };
  const list = symbols.map((s) => ({ symbol: s, state: 'Open', typ: TYP[bitmexInstrument(s).kind] ?? 'FFWCSX' }));
  return { status: 200, body: JSON.stringify(list) };
}
