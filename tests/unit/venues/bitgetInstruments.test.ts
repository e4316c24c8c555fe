/**
 * Bitget v2 spot symbols and contracts listings ("symbols": "all") read from the response
 * examples Bitget publishes.
 */
import { describe, expect, it } from 'vitest';
import { bitgetInstrumentsAnswer, parseBitgetContracts, parseBitgetSpotSymbols } from '../../../src-main/engine/venues/bitget/bitgetInstruments.ts';

// Documentation example: https://www.bitget.com/api-doc/spot/market/Get-Symbols ("Response Example").
const SPOT_EXAMPLE = `{
  "code": "00000",
  "msg": "success",
  "requestTime": 1744276707885,
  "data": [
    {
      "symbol": "BTCUSDT",
      "baseCoin": "BTC",
      "quoteCoin": "USDT",
      "minTradeAmount": "0",
      "maxTradeAmount": "900000000000000000000",
      "takerFeeRate": "0.002",
      "makerFeeRate": "0.002",
      "pricePrecision": "2",
      "quantityPrecision": "6",
      "quotePrecision": "8",
      "status": "online",
      "minTradeUSDT": "1",
      "buyLimitPriceRatio": "0.05",
      "sellLimitPriceRatio": "0.05",
      "areaSymbol": "no",
      "orderQuantity": "200",
      "openTime": "1532454360000",
      "offTime": ""
    }
  ]
}`;

// Documentation example: https://www.bitget.com/api-doc/contract/market/Get-All-Symbols-Contracts
// ("Response Example", productType USDT-FUTURES).
const CONTRACTS_EXAMPLE = `{
  "code": "00000",
  "msg": "success",
  "requestTime": 1627116936176,
  "data": [
    {
      "symbol": "BTCUSDT",
      "baseCoin": "BTC",
      "quoteCoin": "USDT",
      "buyLimitPriceRatio": "0.01",
      "sellLimitPriceRatio": "0.01",
      "feeRateUpRatio": "0.005",
      "makerFeeRate": "0.0002",
      "takerFeeRate": "0.0006",
      "openCostUpRatio": "0.01",
      "supportMarginCoins": ["USDT"],
      "minTradeNum": "0.001",
      "priceEndStep": "1",
      "volumePlace": "3",
      "pricePlace": "1",
      "sizeMultiplier": "0.001",
      "symbolType": "perpetual",
      "minTradeUSDT": "5",
      "maxSymbolOrderNum": "200",
      "maxProductOrderNum": "500",
      "maxPositionNum": "150",
      "symbolStatus": "normal",
      "offTime": "-1",
      "limitOpenTime": "-1",
      "deliveryTime": "",
      "deliveryStartTime": "",
      "deliveryPeriod": ""
    }
  ]
}`;

describe('Bitget listings', () => {
  it('lists the documented online spot symbol with tick and lot from its precisions', () => {
    expect(parseBitgetSpotSymbols(SPOT_EXAMPLE)).toEqual({ ok: true, instruments: [{ venueSymbol: 'BTCUSDT', tickSize: '0.01', lotSize: '0.000001' }] });
    for (const status of ['offline', 'gray', 'halt']) {
      expect(parseBitgetSpotSymbols(SPOT_EXAMPLE.replace('"status": "online"', `"status": "${status}"`))).toEqual({ ok: true, instruments: [] });
    }
  });

  it('lists the documented normal USDT contract under its product suffix, tick = priceEndStep x 10^-pricePlace', () => {
    expect(parseBitgetContracts(CONTRACTS_EXAMPLE, 'USDT-FUTURES')).toEqual({ ok: true, instruments: [{ venueSymbol: 'BTCUSDT_UMCBL', tickSize: '0.1', lotSize: '0.001' }] });
    expect(parseBitgetContracts(CONTRACTS_EXAMPLE.replace('"priceEndStep": "1"', '"priceEndStep": "5"'), 'USDT-FUTURES')).toMatchObject({ ok: true, instruments: [{ tickSize: '0.5' }] });
    for (const status of ['listed', 'maintain', 'limit_open', 'restrictedAPI', 'off']) {
      expect(parseBitgetContracts(CONTRACTS_EXAMPLE.replace('"symbolStatus": "normal"', `"symbolStatus": "${status}"`), 'USDT-FUTURES')).toEqual({ ok: true, instruments: [] });
    }
  });

  it('reports a code other than 00000', () => {
    // Bitget's error envelope: code and msg.
    expect(parseBitgetSpotSymbols('{"code":"40034","msg":"Parameter does not exist","requestTime":1744276707885,"data":null}')).toEqual({ ok: false, error: 'bitget spot symbols: code 40034 Parameter does not exist' });
  });

  it('the replay routes split the recorded symbols into spot and the contracts of each product type', () => {
    // A spot pair and a USDT-M contract, the two kinds bitget/cryptofeed_v1_books_spot+mix_2022-04-07.ndjson holds.
    const recorded = ['AVAXUSDT', 'DASHUSDT_UMCBL'];
    const get = (path: string) => bitgetInstrumentsAnswer({ url: new URL(`http://127.0.0.1${path}`), method: 'GET', body: '' }, recorded)!;
    expect(parseBitgetSpotSymbols(get('/api/v2/spot/public/symbols').body)).toEqual({ ok: true, instruments: [{ venueSymbol: 'AVAXUSDT' }] });
    expect(parseBitgetContracts(get('/api/v2/mix/market/contracts?productType=USDT-FUTURES').body, 'USDT-FUTURES')).toEqual({ ok: true, instruments: [{ venueSymbol: 'DASHUSDT_UMCBL' }] });
    expect(parseBitgetContracts(get('/api/v2/mix/market/contracts?productType=COIN-FUTURES').body, 'COIN-FUTURES')).toEqual({ ok: true, instruments: [] });
  });
});
