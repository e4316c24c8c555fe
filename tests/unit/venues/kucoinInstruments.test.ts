/**
 * KuCoin /api/v2/symbols listing ("symbols": "all") read from the response example KuCoin
 * publishes.
 */
import { describe, expect, it } from 'vitest';
import { parseKucoinSymbols } from '../../../src-main/engine/venues/kucoin/kucoinInstruments.ts';

// Documentation example: https://www.kucoin.com/docs-new/rest/spot-trading/market-data/get-all-symbols
// (the BTC-USDT entry of the response, in its {"code", "data"} envelope).
const EXAMPLE = `{
  "code": "200000",
  "data": [
    {
      "symbol": "BTC-USDT",
      "name": "BTC-USDT",
      "baseCurrency": "BTC",
      "quoteCurrency": "USDT",
      "feeCurrency": "USDT",
      "market": "USDS",
      "baseMinSize": "0.00001",
      "quoteMinSize": "0.1",
      "baseMaxSize": "10000000000",
      "quoteMaxSize": "99999999",
      "baseIncrement": "0.00000001",
      "quoteIncrement": "0.000001",
      "priceIncrement": "0.1",
      "priceLimitRate": "0.1",
      "minFunds": "0.1",
      "isMarginEnabled": true,
      "enableTrading": true,
      "feeCategory": 1,
      "makerFeeCoefficient": "1.00",
      "takerFeeCoefficient": "1.00",
      "st": false
    }
  ]
}`;

describe('KuCoin symbols listing', () => {
  it('lists the documented trading symbol with priceIncrement and baseIncrement', () => {
    expect(parseKucoinSymbols(EXAMPLE)).toEqual({ ok: true, instruments: [{ venueSymbol: 'BTC-USDT', tickSize: '0.1', lotSize: '0.00000001' }] });
    expect(parseKucoinSymbols(EXAMPLE.replace('"enableTrading": true', '"enableTrading": false'))).toEqual({ ok: true, instruments: [] });
  });

  it('reports a code other than 200000', () => {
    // KuCoin's error envelope: code and msg.
    expect(parseKucoinSymbols('{"code":"429000","msg":"Too Many Requests"}')).toEqual({ ok: false, error: 'kucoin symbols: code 429000 Too Many Requests' });
  });
});
