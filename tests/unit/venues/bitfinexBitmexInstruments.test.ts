/**
 * Bitfinex and BitMEX listings ("symbols": "all"). Neither venue publishes a response example
 * for these endpoints: Bitfinex documents the shape of its configs answer (`[[PAIR, ...]]`), BitMEX
 * the fields of its Instrument model. The bodies below are those documented shapes filled with
 * the symbols of the shared recordings (bitfinex/cryptofeed_ws2_2021-04-17.ndjson,
 * bitmex/cryptofeed_orderBookL2_2021-07-22.ndjson).
 */
import { describe, expect, it } from 'vitest';
import { bitfinexInstrumentsAnswer, parseBitfinexPairs } from '../../../src-main/engine/venues/bitfinex/bitfinexInstruments.ts';
import { parseBitmexActive } from '../../../src-main/engine/venues/bitmex/bitmexInstruments.ts';

describe('Bitfinex pair lists', () => {
  it('prefixes the listed pairs with "t", as the trading symbols carry it', () => {
    expect(parseBitfinexPairs('[["BFTUSD","DOGUSD","IOTETH","TESTBTC:TESTUSD"]]', 'pub:list:pair:exchange')).toEqual({
      ok: true,
      instruments: [{ venueSymbol: 'tBFTUSD' }, { venueSymbol: 'tDOGUSD' }, { venueSymbol: 'tIOTETH' }, { venueSymbol: 'tTESTBTC:TESTUSD' }],
    });
  });

  it('reports Bitfinex\'s error array and answers that are not [[pairs]]', () => {
    // Bitfinex's documented error format: ["error", CODE, "message"].
    expect(parseBitfinexPairs('["error",10020,"symbol: invalid"]', 'pub:list:pair:exchange')).toEqual({ ok: false, error: 'bitfinex pub:list:pair:exchange: error 10020 symbol: invalid' });
    expect(parseBitfinexPairs('{}', 'pub:list:pair:futures')).toEqual({ ok: false, error: 'bitfinex pub:list:pair:futures: the answer is not [[pairs]]' });
  });

  it('the replay puts perpetuals on the derivative list and the rest on the exchange list', () => {
    // Two recorded pairs and a perpetual in Bitfinex's documented F0 naming (the recordings hold none).
    const recorded = ['tBFTUSD', 'tTESTBTC:TESTUSD', 'tBTCF0:USTF0'];
    const ask = (path: string) => JSON.parse(bitfinexInstrumentsAnswer({ url: new URL(`http://127.0.0.1${path}`), method: 'GET', body: '' }, recorded)!.body);
    expect(ask('/v2/conf/pub:list:pair:exchange')).toEqual([['BFTUSD', 'TESTBTC:TESTUSD']]);
    expect(ask('/v2/conf/pub:list:pair:futures')).toEqual([['BTCF0:USTF0']]);
  });
});

describe('BitMEX instrument/active', () => {
  const instrument = (symbol: string, state: string, typ: string) => ({ symbol, state, typ });
  it('lists Open instruments and leaves out indices and other states', () => {
    const body = JSON.stringify([instrument('XBTUSD', 'Open', 'FFWCSX'), instrument('TRXU21', 'Open', 'FFCCSX'), instrument('ADAUSDT', 'Unlisted', 'FFWCSX'), instrument('.BXBT', 'Unlisted', 'MRCXXX')]);
    expect(parseBitmexActive(body)).toEqual({ ok: true, instruments: [{ venueSymbol: 'XBTUSD' }, { venueSymbol: 'TRXU21' }] });
  });

  it('reads tickSize and lotSize as the exact text of their JSON numbers', () => {
    expect(parseBitmexActive('[{"symbol":"XBTUSD","state":"Open","typ":"FFWCSX","tickSize":0.5,"lotSize":100}]')).toEqual({ ok: true, instruments: [{ venueSymbol: 'XBTUSD', tickSize: '0.5', lotSize: '100' }] });
  });

  it('reports BitMEX\'s error object', () => {
    // BitMEX's documented error format: {"error": {"message", "name"}}.
    expect(parseBitmexActive('{"error":{"message":"Rate limit exceeded, retry in 1 seconds.","name":"RateLimitError"}}')).toEqual({ ok: false, error: 'bitmex instrument/active: error RateLimitError Rate limit exceeded, retry in 1 seconds.' });
  });
});
