/**
 * Gate instrument lists (configuration `"symbols": "all"`): spot pairs and USDT-settled perpetual
 * contracts, and the same routes on the local replay server.
 *
 * Docs followed:
 * - https://www.gate.io/docs/developers/apiv4/en/#list-all-currency-pairs-supported
 *   `GET /api/v4/spot/currency_pairs`: `trade_status` tradable | untradable | buyable | sellable,
 *   of which `tradable` trades both ways; `precision` is the price's decimals, `amount_precision`
 *   the amount's.
 * - https://www.gate.io/docs/developers/apiv4/en/#list-all-futures-contracts
 *   `GET /api/v4/futures/usdt/contracts`: `in_delisting` marks contracts on their way out,
 *   `status` (trading, delisting, delisted) where the answer has it; `order_price_round` is the
 *   tick. Sizes are whole contracts.
 * - https://www.gate.io/docs/developers/apiv4/en/#frequency-limit-rule: public endpoints 200
 *   requests per 10 s per endpoint per IP (the spec's REST budget, gateSpec.ts).
 * Errors come back as `{"label": ..., "message": ...}`.
 */
import { asArray, asObject } from '../../../../src-shared/model/jsonExact.ts';
import type { ExactJson } from '../../../../src-shared/model/jsonExact.ts';
import type { InstrumentListRequest, RestAnswer } from '../../replay/replayProtocol.ts';
import { joinListings, parseBody, plainDecimal, runListing, stepOfDecimals, symbolsOf, textField } from '../instrumentListing.ts';
import type { ListedInstrument, ListingLimits, ListingResult, SymbolListResult } from '../instrumentListing.ts';
import { gateVenueSymbol, parseGateSymbol } from './gateSymbol.ts';

export const GATE_SPOT_PAIRS_PATH = '/api/v4/spot/currency_pairs';
export const GATE_USDT_CONTRACTS_PATH = '/api/v4/futures/usdt/contracts';

function listOf(value: ExactJson, where: string): { ok: true; list: ExactJson[] } | { ok: false; error: string } {
  const list = asArray(value);
  if (list !== undefined) return { ok: true, list };
  const o = asObject(value);
  const label = textField(o, 'label');
  return { ok: false, error: `${where}: ${label !== undefined ? `error ${label} ${textField(o, 'message') ?? ''}`.trim() : 'the answer is not a list'}` };
}

/** The tradable spot pairs of a currency_pairs answer. */
export function parseGateCurrencyPairs(body: string): ListingResult {
  const where = 'gate spot/currency_pairs';
  const parsed = parseBody(body, where);
  if (!parsed.ok) return parsed;
  const l = listOf(parsed.value, where);
  if (!l.ok) return l;
  const instruments: ListedInstrument[] = [];
  for (const item of l.list) {
    const o = asObject(item);
    const id = textField(o, 'id');
    if (id === undefined || textField(o, 'trade_status') !== 'tradable') continue;
    const tickSize = stepOfDecimals(textField(o, 'precision'));
    const lotSize = stepOfDecimals(textField(o, 'amount_precision'));
    instruments.push({ venueSymbol: gateVenueSymbol('spot', '', id.toUpperCase()), ...(tickSize ? { tickSize } : {}), ...(lotSize ? { lotSize } : {}) });
  }
  return { ok: true, instruments };
}

/** The trading USDT-settled contracts of a contracts answer. */
export function parseGateContracts(body: string): ListingResult {
  const where = 'gate futures/usdt/contracts';
  const parsed = parseBody(body, where);
  if (!parsed.ok) return parsed;
  const l = listOf(parsed.value, where);
  if (!l.ok) return l;
  const instruments: ListedInstrument[] = [];
  for (const item of l.list) {
    const o = asObject(item);
    const name = textField(o, 'name');
    const status = textField(o, 'status');
    if (name === undefined || o?.['in_delisting'] === true || (status !== undefined && status !== 'trading')) continue;
    const tickSize = plainDecimal(textField(o, 'order_price_round'));
    instruments.push({ venueSymbol: gateVenueSymbol('futures', 'usdt', name.toUpperCase()), ...(tickSize ? { tickSize } : {}), lotSize: '1' });
  }
  return { ok: true, instruments };
}

export function listGateInstruments(restBase: string, limits: ListingLimits): Promise<ListingResult> {
  return runListing({ venue: 'gate', baseUrl: restBase, limits }, async (http) => {
    const spot = await http.get(GATE_SPOT_PAIRS_PATH);
    if (!spot.ok) return spot;
    const futures = await http.get(GATE_USDT_CONTRACTS_PATH);
    if (!futures.ok) return futures;
    return joinListings([parseGateCurrencyPairs(spot.body), parseGateContracts(futures.body)]);
  });
}

export async function listGateSymbols(restBase: string, limits: ListingLimits): Promise<SymbolListResult> {
  return symbolsOf(await listGateInstruments(restBase, limits));
}

/**
 * The replay server's listings: the recorded spot pairs on the currency_pairs route (tradable,
 * with base and quote) and the recorded USDT contracts on the contracts route (trading, not
 * delisting), in the documented shapes. Precisions are left out: the recording does not say
 * what they were.
 */
export function gateInstrumentsAnswer(req: InstrumentListRequest, symbols: readonly string[]): RestAnswer | undefined {
  if (req.method !== 'GET') return undefined;
  const parsed = symbols.map((s) => parseGateSymbol(s));
  if (req.url.pathname === GATE_SPOT_PAIRS_PATH) {
    const pairs = parsed
      .filter((g) => g.market === 'spot')
      .map((g) => {
        const [base = g.name, quote = ''] = g.name.split('_');
        return { id: g.name, base, quote, trade_status: 'tradable' };
      });
    return { status: 200, body: JSON.stringify(pairs) };
  }
  if (req.url.pathname === GATE_USDT_CONTRACTS_PATH) {
    const contracts = parsed.filter((g) => g.market === 'futures' && g.settle === 'usdt').map((g) => ({ name: g.name, type: 'direct', in_delisting: false, status: 'trading' }));
    return { status: 200, body: JSON.stringify(contracts) };
  }
  return undefined;
}
