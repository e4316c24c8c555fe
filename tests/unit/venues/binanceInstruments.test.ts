/**
 * Binance exchangeInfo listings ("symbols": "all"), read from the response examples Binance
 * publishes. Each example below is a documentation example, quoted from the page named above it
 * (comments as Binance writes them; stripped before parsing).
 */
import { describe, expect, it } from 'vitest';
import { parseBinanceExchangeInfo } from '../../../src-main/engine/venues/binance/binanceInstruments.ts';
import { stripJsComments } from '../../support/docExample.ts';

// Documentation example: https://developers.binance.com/docs/binance-spot-api-docs/rest-api/general-endpoints#exchange-information
// ("Response", GET /api/v3/exchangeInfo). Its filters are placeholders in the page.
const SPOT_EXAMPLE = `{
    "timezone": "UTC",
    "serverTime": 1565246363776,
    "rateLimits": [
        {
            // These are defined in the \`ENUM definitions\` section under \`Rate Limiters (rateLimitType)\`.
            // All limits are optional
        }
    ],
    "exchangeFilters": [
        // These are the defined filters in the \`Filters\` section.
        // All filters are optional.
    ],
    "symbols": [
        {
            "symbol": "ETHBTC",
            "status": "TRADING",
            "baseAsset": "ETH",
            "baseAssetPrecision": 8,
            "quoteAsset": "BTC",
            "quotePrecision": 8,     // will be removed in future api versions (v4+)
            "quoteAssetPrecision": 8,
            "baseCommissionPrecision": 8,
            "quoteCommissionPrecision": 8,
            "orderTypes": [
                "LIMIT",
                "LIMIT_MAKER",
                "MARKET",
                "STOP_LOSS",
                "STOP_LOSS_LIMIT",
                "TAKE_PROFIT",
                "TAKE_PROFIT_LIMIT"
            ],
            "icebergAllowed": true,
            "ocoAllowed": true,
            "otoAllowed": true,
            "opoAllowed": true,
            "quoteOrderQtyMarketAllowed": true,
            "allowTrailingStop": false,
            "cancelReplaceAllowed": false,
            "amendAllowed": false,
            "pegInstructionsAllowed": true,
            "isSpotTradingAllowed": true,
            "isMarginTradingAllowed": true,
            "filters": [
                // These are defined in the Filters section.
                // All filters are optional
            ],
            "permissions": [],
            "permissionSets": [["SPOT", "MARGIN"]],
            "defaultSelfTradePreventionMode": "NONE",
            "allowedSelfTradePreventionModes": ["NONE"]
        }
    ],
    // Optional field. Present only when SOR is available.
    // https://github.com/binance/binance-spot-api-docs/blob/master/faqs/sor_faq.md
    "sors": [
        {
            "baseAsset": "BTC",
            "symbols": ["BTCUSDT", "BTCUSDC"]
        }
    ]
}`;

// Documentation examples: https://github.com/binance/binance-spot-api-docs/blob/master/filters.md
// ("/exchangeInfo format" of PRICE_FILTER and LOT_SIZE).
const PRICE_FILTER_EXAMPLE = `{
  "filterType": "PRICE_FILTER",
  "minPrice": "0.00000100",
  "maxPrice": "100000.00000000",
  "tickSize": "0.00000100"
}`;
const LOT_SIZE_EXAMPLE = `{
  "filterType": "LOT_SIZE",
  "minQty": "0.00100000",
  "maxQty": "100000.00000000",
  "stepSize": "0.00100000"
}`;

// Documentation example: https://developers.binance.com/docs/derivatives/usds-margined-futures/market-data/rest-api/Exchange-Information
// (the page's comments left out).
const USDM_EXAMPLE = `{
  "exchangeFilters": [],
  "rateLimits": [
    { "interval": "MINUTE", "intervalNum": 1, "limit": 2400, "rateLimitType": "REQUEST_WEIGHT" },
    { "interval": "MINUTE", "intervalNum": 1, "limit": 1200, "rateLimitType": "ORDERS" }
  ],
  "serverTime": 1565613908500,
  "assets": [
    { "asset": "BUSD", "marginAvailable": true, "autoAssetExchange": 0 },
    { "asset": "USDT", "marginAvailable": true, "autoAssetExchange": 0 },
    { "asset": "BNB", "marginAvailable": false, "autoAssetExchange": null }
  ],
  "symbols": [
    {
      "symbol": "BLZUSDT",
      "pair": "BLZUSDT",
      "contractType": "PERPETUAL",
      "deliveryDate": 4133404800000,
      "onboardDate": 1598252400000,
      "status": "TRADING",
      "maintMarginPercent": "2.5000",
      "requiredMarginPercent": "5.0000",
      "baseAsset": "BLZ",
      "quoteAsset": "USDT",
      "marginAsset": "USDT",
      "pricePrecision": 5,
      "quantityPrecision": 0,
      "baseAssetPrecision": 8,
      "quotePrecision": 8,
      "underlyingType": "COIN",
      "underlyingSubType": ["STORAGE"],
      "settlePlan": 0,
      "triggerProtect": "0.15",
      "filters": [
        { "filterType": "PRICE_FILTER", "maxPrice": "300", "minPrice": "0.0001", "tickSize": "0.0001" },
        { "filterType": "LOT_SIZE", "maxQty": "10000000", "minQty": "1", "stepSize": "1" },
        { "filterType": "MARKET_LOT_SIZE", "maxQty": "590119", "minQty": "1", "stepSize": "1" },
        { "filterType": "MAX_NUM_ORDERS", "limit": 200 },
        { "filterType": "MAX_NUM_ALGO_ORDERS", "limit": 100 },
        { "filterType": "MIN_NOTIONAL", "notional": "5.0" },
        { "filterType": "PERCENT_PRICE", "multiplierUp": "1.1500", "multiplierDown": "0.8500", "multiplierDecimal": 4 }
      ],
      "OrderType": ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"],
      "timeInForce": ["GTC", "IOC", "FOK", "GTX"],
      "liquidationFee": "0.010000",
      "marketTakeBound": "0.30"
    }
  ],
  "timezone": "UTC"
}`;

// Documentation example: https://developers.binance.com/docs/derivatives/coin-margined-futures/market-data/rest-api/Exchange-Information
// (the page's comments left out; COIN-M names the status field contractStatus).
const COINM_EXAMPLE = `{
  "exchangeFilters": [],
  "rateLimits": [
    { "interval": "MINUTE", "intervalNum": 1, "limit": 6000, "rateLimitType": "REQUEST_WEIGHT" },
    { "interval": "MINUTE", "intervalNum": 1, "limit": 6000, "rateLimitType": "ORDERS" }
  ],
  "serverTime": 1565613908500,
  "symbols": [
    {
      "filters": [
        { "filterType": "PRICE_FILTER", "maxPrice": "100000", "minPrice": "0.1", "tickSize": "0.1" },
        { "filterType": "LOT_SIZE", "maxQty": "100000", "minQty": "1", "stepSize": "1" },
        { "filterType": "MARKET_LOT_SIZE", "maxQty": "100000", "minQty": "1", "stepSize": "1" },
        { "filterType": "MAX_NUM_ORDERS", "limit": 200 },
        { "limit": 20, "filterType": "MAX_NUM_ALGO_ORDERS" },
        { "filterType": "PERCENT_PRICE", "multiplierUp": "1.0500", "multiplierDown": "0.9500", "multiplierDecimal": "4" }
      ],
      "OrderType": ["LIMIT", "MARKET", "STOP", "TAKE_PROFIT", "TRAILING_STOP_MARKET"],
      "timeInForce": ["GTC", "IOC", "FOK", "GTX"],
      "symbol": "BTCUSD_200925",
      "pair": "BTCUSD",
      "contractType": "CURRENT_QUARTER",
      "deliveryDate": 1601020800000,
      "onboardDate": 1590739200000,
      "contractStatus": "TRADING",
      "contractSize": 100,
      "quoteAsset": "USD",
      "baseAsset": "BTC",
      "marginAsset": "BTC",
      "pricePrecision": 1,
      "quantityPrecision": 0,
      "baseAssetPrecision": 8,
      "quotePrecision": 8,
      "equalQtyPrecision": 4,
      "triggerProtect": "0.0500",
      "maintMarginPercent": "2.5000",
      "requiredMarginPercent": "5.0000",
      "underlyingType": "COIN",
      "underlyingSubType": []
    }
  ],
  "timezone": "UTC"
}`;

describe('Binance exchangeInfo listings', () => {
  it('lists the trading spot symbol of the documented example (its filters are placeholders there)', () => {
    expect(parseBinanceExchangeInfo(stripJsComments(SPOT_EXAMPLE), 'spot', 'binance-spot')).toEqual({ ok: true, instruments: [{ venueSymbol: 'ETHBTC' }] });
  });

  it('reads tick and lot size from the documented PRICE_FILTER and LOT_SIZE filters', () => {
    const withFilters = JSON.parse(stripJsComments(SPOT_EXAMPLE)) as { symbols: { filters: unknown[] }[] };
    withFilters.symbols[0]!.filters = [JSON.parse(PRICE_FILTER_EXAMPLE), JSON.parse(LOT_SIZE_EXAMPLE)];
    expect(parseBinanceExchangeInfo(JSON.stringify(withFilters), 'us', 'binance-us')).toEqual({
      ok: true,
      instruments: [{ venueSymbol: 'ETHBTC', tickSize: '0.00000100', lotSize: '0.00100000' }],
    });
  });

  it('leaves out symbols that are not TRADING (the documented HALT and BREAK statuses)', () => {
    for (const status of ['HALT', 'BREAK']) {
      const halted = stripJsComments(SPOT_EXAMPLE).replace('"status": "TRADING"', `"status": "${status}"`);
      expect(parseBinanceExchangeInfo(halted, 'spot', 'binance-spot')).toEqual({ ok: true, instruments: [] });
    }
  });

  it('lists the USD-M perpetual of the documented example with its increments', () => {
    expect(parseBinanceExchangeInfo(USDM_EXAMPLE, 'usdm', 'binance-usdm')).toEqual({ ok: true, instruments: [{ venueSymbol: 'BLZUSDT', tickSize: '0.0001', lotSize: '1' }] });
    const settling = USDM_EXAMPLE.replace('"status": "TRADING"', '"status": "SETTLING"');
    expect(parseBinanceExchangeInfo(settling, 'usdm', 'binance-usdm')).toEqual({ ok: true, instruments: [] });
  });

  it('reads COIN-M contractStatus, not status', () => {
    expect(parseBinanceExchangeInfo(COINM_EXAMPLE, 'coinm', 'binance-coinm')).toEqual({ ok: true, instruments: [{ venueSymbol: 'BTCUSD_200925', tickSize: '0.1', lotSize: '1' }] });
    const delivering = COINM_EXAMPLE.replace('"contractStatus": "TRADING"', '"contractStatus": "DELIVERING"');
    expect(parseBinanceExchangeInfo(delivering, 'coinm', 'binance-coinm')).toEqual({ ok: true, instruments: [] });
  });

  it('reports error bodies and unreadable answers instead of throwing', () => {
    // The documented error payload (rest-api.md "Error Codes").
    expect(parseBinanceExchangeInfo('{"code": -1121, "msg": "Invalid symbol."}', 'spot', 'binance-spot')).toEqual({ ok: false, error: 'binance-spot exchangeInfo: error -1121 Invalid symbol.' });
    const cut = parseBinanceExchangeInfo(USDM_EXAMPLE.slice(0, 200), 'usdm', 'binance-usdm');
    expect(cut.ok).toBe(false);
    expect(!cut.ok && cut.error).toMatch(/^binance-usdm exchangeInfo: the answer is not JSON/);
    expect(parseBinanceExchangeInfo('{"timezone":"UTC"}', 'usdm', 'binance-usdm')).toEqual({ ok: false, error: 'binance-usdm exchangeInfo: the answer has no "symbols" list' });
  });
});
