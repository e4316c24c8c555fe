/**
 * Bybit v5 instruments-info listings ("symbols": "all") read from the response examples Bybit
 * publishes.
 */
import { describe, expect, it } from 'vitest';
import { parseBybitInstruments } from '../../../src-main/engine/venues/bybit/bybitInstruments.ts';
import { stripJsComments } from '../../support/docExample.ts';

// Documentation examples: https://bybit-exchange.github.io/docs/v5/market/instrument ("Response
// Example", Linear tab: the official USDT perpetual and the pre-market perpetual, as Bybit labels them).
const LINEAR_EXAMPLE = `// official USDT Perpetual instrument structure
{
    "retCode": 0,
    "retMsg": "OK",
    "result": {
        "category": "linear",
        "list": [
            {
                "symbol": "BTCUSDT",
                "symbolId": 5,
                "contractType": "LinearPerpetual",
                "status": "Trading",
                "baseCoin": "BTC",
                "quoteCoin": "USDT",
                "launchTime": "1585526400000",
                "deliveryTime": "0",
                "deliveryFeeRate": "",
                "priceScale": "2",
                "leverageFilter": {
                    "minLeverage": "1",
                    "maxLeverage": "100.00",
                    "leverageStep": "0.01"
                },
                "priceFilter": {
                    "minPrice": "0.10",
                    "maxPrice": "1999999.80",
                    "tickSize": "0.10"
                },
                "lotSizeFilter": {
                    "maxOrderQty": "1190.000",
                    "minOrderQty": "0.001",
                    "qtyStep": "0.001",
                    "postOnlyMaxOrderQty": "1190.000",
                    "maxMktOrderQty": "500.000",
                    "minNotionalValue": "5"
                },
                "unifiedMarginTrade": true,
                "fundingInterval": 480,
                "settleCoin": "USDT",
                "copyTrading": "both",
                "upperFundingRate": "0.00375",
                "lowerFundingRate": "-0.00375",
                "isPreListing": false,
                "preListingInfo": null,
                "riskParameters": {
                    "priceLimitRatioX": "0.01",
                    "priceLimitRatioY": "0.02"
                },
                "symbolType": ""
            }
        ],
        "nextPageCursor": ""
    },
    "retExtInfo": {},
    "time": 1735809771618
}`;

const PRE_MARKET_EXAMPLE = `// Pre-market Perpetual instrument structure
{
    "retCode": 0,
    "retMsg": "OK",
    "result": {
        "category": "linear",
        "list": [
            {
                "symbol": "BIOUSDT",
                "contractType": "LinearPerpetual",
                "status": "PreLaunch",
                "baseCoin": "BIO",
                "quoteCoin": "USDT",
                "launchTime": "1735032510000",
                "deliveryTime": "0",
                "deliveryFeeRate": "",
                "priceScale": "4",
                "leverageFilter": {
                    "minLeverage": "1",
                    "maxLeverage": "5.00",
                    "leverageStep": "0.01"
                },
                "priceFilter": {
                    "minPrice": "0.0001",
                    "maxPrice": "1999.9998",
                    "tickSize": "0.0001"
                },
                "lotSizeFilter": {
                    "maxOrderQty": "70000",
                    "minOrderQty": "1",
                    "qtyStep": "1",
                    "postOnlyMaxOrderQty": "70000",
                    "maxMktOrderQty": "14000",
                    "minNotionalValue": "5"
                },
                "unifiedMarginTrade": true,
                "fundingInterval": 480,
                "settleCoin": "USDT",
                "copyTrading": "none",
                "upperFundingRate": "0.05",
                "lowerFundingRate": "-0.05",
                "isPreListing": true,
                "preListingInfo": {
                    "curAuctionPhase": "ContinuousTrading",
                    "phases": [
                        { "phase": "CallAuction", "startTime": "1735113600000", "endTime": "1735116600000" },
                        { "phase": "CallAuctionNoCancel", "startTime": "1735116600000", "endTime": "1735116900000" },
                        { "phase": "CrossMatching", "startTime": "1735116900000", "endTime": "1735117200000" },
                        { "phase": "ContinuousTrading", "startTime": "1735117200000", "endTime": "" }
                    ],
                    "auctionFeeInfo": {
                        "auctionFeeRate": "0",
                        "takerFeeRate": "0.001",
                        "makerFeeRate": "0.0004"
                    }
                },
                "riskParameters": {
                    "priceLimitRatioX": "0.05",
                    "priceLimitRatioY": "0.1"
                },
                "symbolType": ""
            }
        ],
        "nextPageCursor": "first%3DBIOUSDT%26last%3DBIOUSDT"
    },
    "retExtInfo": {},
    "time": 1735810114435
}`;

// Documentation example: same page, Spot tab.
const SPOT_EXAMPLE = `{
    "retCode": 0,
    "retMsg": "OK",
    "result": {
        "category": "spot",
        "list": [
            {
                "symbolId": 9,
                "symbol": "BTCUSDT",
                "baseCoin": "BTC",
                "quoteCoin": "USDT",
                "innovation": "0",
                "status": "Trading",
                "marginTrading": "utaOnly",
                "stTag": "0",
                "lotSizeFilter": {
                    "basePrecision": "0.000001",
                    "quotePrecision": "0.0000001",
                    "minOrderQty": "0.000011",
                    "maxOrderQty": "83",
                    "minOrderAmt": "5",
                    "maxOrderAmt": "8000000",
                    "maxLimitOrderQty": "83",
                    "maxMarketOrderQty": "41.5",
                    "postOnlyMaxLimitOrderSize":"60000"

                },
                "priceFilter": {
                    "tickSize": "0.1"
                },
                "riskParameters": {
                    "priceLimitRatioX": "0.005",
                    "priceLimitRatioY": "0.01"
                },
                "symbolType": ""
            }
        ]
    },
    "retExtInfo": {},
    "time": 1760027412300
}`;

describe('Bybit instruments-info listings', () => {
  it('lists the trading linear perpetual of the documented example with tick and quantity step', () => {
    expect(parseBybitInstruments(stripJsComments(LINEAR_EXAMPLE), 'bybit-linear', 'linear')).toEqual({
      ok: true,
      page: { instruments: [{ venueSymbol: 'BTCUSDT', tickSize: '0.10', lotSize: '0.001' }], nextPageCursor: '' },
    });
  });

  it('does not follow the documented pre-market (PreLaunch) contract, and hands on its cursor', () => {
    expect(parseBybitInstruments(stripJsComments(PRE_MARKET_EXAMPLE), 'bybit-linear', 'linear')).toEqual({
      ok: true,
      page: { instruments: [], nextPageCursor: 'first%3DBIOUSDT%26last%3DBIOUSDT' },
    });
  });

  it('lists the documented spot pair with its base precision as the size step', () => {
    expect(parseBybitInstruments(SPOT_EXAMPLE, 'bybit-spot', 'spot')).toEqual({
      ok: true,
      page: { instruments: [{ venueSymbol: 'BTCUSDT', tickSize: '0.1', lotSize: '0.000001' }], nextPageCursor: '' },
    });
  });

  it('reports a non-zero retCode and an answer without result.list', () => {
    // Bybit's error envelope: retCode and retMsg, empty result.
    expect(parseBybitInstruments('{"retCode":10001,"retMsg":"params error","result":{},"retExtInfo":{},"time":1735809771618}', 'bybit-linear', 'linear')).toEqual({
      ok: false,
      error: 'bybit-linear instruments-info: retCode 10001 params error',
    });
    expect(parseBybitInstruments('{"retCode":0,"retMsg":"OK","result":{}}', 'bybit-spot', 'spot')).toEqual({ ok: false, error: 'bybit-spot instruments-info: the answer has no result.list' });
  });
});
