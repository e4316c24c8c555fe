/**
 * Hyperliquid meta listing ("symbols": "all") read from the response example Hyperliquid
 * publishes, and the replay's /info answer.
 */
import { describe, expect, it } from 'vitest';
import { hyperliquidInstrumentsAnswer, parseHyperliquidMeta } from '../../../src-main/engine/venues/hyperliquid/hyperliquidInstruments.ts';
import { stripJsComments } from '../../support/docExample.ts';

// Documentation example: https://hyperliquid.gitbook.io/hyperliquid-docs/for-developers/api/info-endpoint/perpetuals
// ("Retrieve perpetuals metadata (universe and margin tables)"; the margin tables after the first
// are left out as marked).
const META_EXAMPLE = `{
    "universe": [
        {
            "name": "BTC",
            "szDecimals": 5,
            "maxLeverage": 50
        },
        {
            "name": "ETH",
            "szDecimals": 4,
            "maxLeverage": 50
        },
        {
            "name": "HPOS",
            "szDecimals": 0,
            "maxLeverage": 3,
            "onlyIsolated": true
        },
        {
            "name": "LOOM",
            "szDecimals": 1,
            "maxLeverage": 3,
            "isDelisted": true,
            "marginMode": "strictIsolated",
            "onlyIsolated": true
        }
    ],
    "marginTables": [
        [
            50,
            {
                "description": "",
                "marginTiers": [
                    {
                        "lowerBound": "0.0",
                        "maxLeverage": 50
                    }
                ]
            }
        ]
        // (further tables left out)
    ]
}`;

describe('Hyperliquid meta listing', () => {
  it('lists the documented coins but the delisted one, size step from szDecimals', () => {
    expect(parseHyperliquidMeta(stripJsComments(META_EXAMPLE))).toEqual({
      ok: true,
      instruments: [
        { venueSymbol: 'BTC', lotSize: '0.00001' },
        { venueSymbol: 'ETH', lotSize: '0.0001' },
        { venueSymbol: 'HPOS', lotSize: '1' },
      ],
    });
  });

  it('reports an answer without a universe', () => {
    expect(parseHyperliquidMeta('null')).toEqual({ ok: false, error: 'hyperliquid meta: the answer has no universe' });
  });

  it('the replay answers POST /info {"type":"meta"} with the recorded coin, and leaves other info requests alone', () => {
    // The coin of hyperliquid/BTC_l2Book_trades_2025-01-26.hftbacktest.ndjson.
    const ask = (body: string) => hyperliquidInstrumentsAnswer({ url: new URL('http://127.0.0.1/info'), method: 'POST', body }, ['BTC']);
    expect(parseHyperliquidMeta(ask('{"type":"meta"}')!.body)).toEqual({ ok: true, instruments: [{ venueSymbol: 'BTC' }] });
    expect(ask('{"type":"l2Book","coin":"BTC"}')).toBeUndefined();
    expect(ask('not json')?.status).toBe(422);
  });
});
