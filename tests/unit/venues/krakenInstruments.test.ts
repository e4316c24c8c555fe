/**
 * Kraken spot AssetPairs and Kraken Futures instruments listings ("symbols": "all") read from the
 * response examples Kraken publishes.
 */
import { describe, expect, it } from 'vitest';
import { parseKrakenAssetPairs } from '../../../src-main/engine/venues/kraken/krakenInstruments.ts';
import { parseKrakenFuturesInstruments } from '../../../src-main/engine/venues/kraken/krakenFuturesInstruments.ts';
import { stripJsComments } from '../../support/docExample.ts';

// Documentation example: https://docs.kraken.com/api/docs/rest-api/get-tradable-asset-pairs
// (GET /0/public/AssetPairs, the example as published before `status` and `tick_size` were
// added; its fee schedules are shortened here as marked).
const ASSET_PAIRS_EXAMPLE = `{
  "error": [],
  "result": {
    "XETHXXBT": {
      "altname": "ETHXBT",
      "wsname": "ETH/XBT",
      "aclass_base": "currency",
      "base": "XETH",
      "aclass_quote": "currency",
      "quote": "XXBT",
      "lot": "unit",
      "pair_decimals": 5,
      "lot_decimals": 8,
      "lot_multiplier": 1,
      "leverage_buy": [2, 3, 4, 5],
      "leverage_sell": [2, 3, 4, 5],
      "fees": [[0, 0.26], [50000, 0.24] /* (further tiers left out) */],
      "fees_maker": [[0, 0.16], [50000, 0.14] /* (further tiers left out) */],
      "fee_volume_currency": "ZUSD",
      "margin_call": 80,
      "margin_stop": 40,
      "ordermin": "0.005"
    },
    "XXBTZUSD": {
      "altname": "XBTUSD",
      "wsname": "XBT/USD",
      "aclass_base": "currency",
      "base": "XXBT",
      "aclass_quote": "currency",
      "quote": "ZUSD",
      "lot": "unit",
      "pair_decimals": 1,
      "lot_decimals": 8,
      "lot_multiplier": 1,
      "leverage_buy": [2, 3, 4, 5],
      "leverage_sell": [2, 3, 4, 5],
      "fees": [[0, 0.26], [50000, 0.24] /* (further tiers left out) */],
      "fees_maker": [[0, 0.16], [50000, 0.14] /* (further tiers left out) */],
      "fee_volume_currency": "ZUSD",
      "margin_call": 80,
      "margin_stop": 40,
      "ordermin": "0.0002"
    }
  }
}`;

/** The block comments marking shortened fee tiers, removed. */
function assetPairs(): string {
  return stripJsComments(ASSET_PAIRS_EXAMPLE.replace(/\/\*[^*]*\*\//g, ''));
}

// Documentation example: https://docs.kraken.com/api/docs/futures-api/trading/get-instruments
// (sample response of GET /derivatives/api/v3/instruments; margin level tables shortened as marked).
const FUTURES_EXAMPLE = `{
  "instruments": [
    {
      "category": "",
      "contractSize": 1,
      "contractValueTradePrecision": 0,
      "feeScheduleUid": "eef90775-995b-4596-9257-0917f6134766",
      "fundingRateCoefficient": 8,
      "impactMidSize": 1,
      "isin": "GB00J62YGL67",
      "marginLevels": [
        { "contracts": 0, "initialMargin": 0.02, "maintenanceMargin": 0.01 }
        // (further levels left out)
      ],
      "maxPositionSize": 1000000,
      "maxRelativeFundingRate": 0.001,
      "openingDate": "2022-01-01T00:00:00.000Z",
      "postOnly": false,
      "retailMarginLevels": [
        { "contracts": 0, "initialMargin": 0.5, "maintenanceMargin": 0.25 }
      ],
      "symbol": "PI_XBTUSD",
      "tags": [],
      "tickSize": 0.5,
      "tradeable": true,
      "type": "futures_inverse",
      "underlying": "rr_xbtusd"
    },
    {
      "category": "",
      "contractSize": 1,
      "contractValueTradePrecision": 0,
      "feeScheduleUid": "eef90775-995b-4596-9257-0917f6134766",
      "impactMidSize": 1,
      "isin": "GB00JVMLP260",
      "lastTradingTime": "2022-09-30T15:00:00.000Z",
      "marginLevels": [
        { "contracts": 0, "initialMargin": 0.02, "maintenanceMargin": 0.01 }
        // (further levels left out)
      ],
      "maxPositionSize": 1000000,
      "openingDate": "2022-01-01T00:00:00.000Z",
      "postOnly": false,
      "retailMarginLevels": [
        { "contracts": 0, "initialMargin": 0.5, "maintenanceMargin": 0.25 }
      ],
      "symbol": "FI_XBTUSD_220930",
      "tags": [],
      "tickSize": 0.5,
      "tradeable": true,
      "type": "futures_inverse",
      "underlying": "rr_xbtusd"
    },
    {
      "category": "Layer 1",
      "contractSize": 1,
      "contractValueTradePrecision": 4,
      "feeScheduleUid": "5b755fea-c5b0-4307-a66e-b392cd5bd931",
      "fundingRateCoefficient": 8,
      "impactMidSize": 1,
      "marginLevels": [
        { "initialMargin": 0.02, "maintenanceMargin": 0.01, "numNonContractUnits": 0 }
        // (further levels left out)
      ],
      "maxPositionSize": 1000000,
      "maxRelativeFundingRate": 0.001,
      "openingDate": "2022-01-01T00:00:00.000Z",
      "postOnly": false,
      "retailMarginLevels": [
        { "initialMargin": 0.02, "maintenanceMargin": 0.01, "numNonContractUnits": 0 }
        // (further levels left out)
      ],
      "symbol": "PF_XBTUSD",
      "tags": [],
      "tickSize": 1,
      "tradeable": true,
      "type": "flexible_futures"
    }
  ],
  "result": "success",
  "serverTime": "2022-06-28T09:29:04.243Z"
}`;

describe('Kraken spot AssetPairs listing', () => {
  it('lists the documented pairs by their WebSocket v1 names, ticks and lots from their decimals', () => {
    expect(parseKrakenAssetPairs(assetPairs())).toEqual({
      ok: true,
      instruments: [
        { venueSymbol: 'ETH/XBT', tickSize: '0.00001', lotSize: '0.00000001' },
        { venueSymbol: 'XBT/USD', tickSize: '0.1', lotSize: '0.00000001' },
      ],
    });
  });

  it('follows only pairs whose documented status is online, and takes tick_size when given', () => {
    const body = JSON.parse(assetPairs()) as { result: Record<string, Record<string, unknown>> };
    body.result['XETHXXBT']!['status'] = 'cancel_only';
    body.result['XXBTZUSD']!['status'] = 'online';
    body.result['XXBTZUSD']!['tick_size'] = '0.1';
    expect(parseKrakenAssetPairs(JSON.stringify(body))).toEqual({ ok: true, instruments: [{ venueSymbol: 'XBT/USD', tickSize: '0.1', lotSize: '0.00000001' }] });
  });

  it('reports the errors Kraken puts in the error array', () => {
    // Kraken's documented error format: strings in "error", no result.
    expect(parseKrakenAssetPairs('{"error":["EQuery:Unknown asset pair"]}')).toEqual({ ok: false, error: 'kraken AssetPairs: EQuery:Unknown asset pair' });
  });
});

describe('Kraken Futures instruments listing', () => {
  it('lists the documented tradeable futures with tick size and size step', () => {
    expect(parseKrakenFuturesInstruments(stripJsComments(FUTURES_EXAMPLE))).toEqual({
      ok: true,
      instruments: [
        { venueSymbol: 'PI_XBTUSD', tickSize: '0.5', lotSize: '1' },
        { venueSymbol: 'FI_XBTUSD_220930', tickSize: '0.5', lotSize: '1' },
        { venueSymbol: 'PF_XBTUSD', tickSize: '1', lotSize: '0.0001' },
      ],
    });
  });

  it('leaves out what is not tradeable, and reports a result other than success', () => {
    const body = stripJsComments(FUTURES_EXAMPLE).replace('"tradeable": true,\n      "type": "flexible_futures"', '"tradeable": false,\n      "type": "flexible_futures"');
    expect(parseKrakenFuturesInstruments(body)).toMatchObject({ ok: true, instruments: [{ venueSymbol: 'PI_XBTUSD' }, { venueSymbol: 'FI_XBTUSD_220930' }] });
    expect(parseKrakenFuturesInstruments('{"result":"error","error":"apiLimitExceeded","serverTime":"2022-06-28T09:29:04.243Z"}')).toEqual({ ok: false, error: 'kraken-futures instruments: result error apiLimitExceeded' });
  });
});
