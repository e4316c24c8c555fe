/**
 * OKX instrument listings ("symbols": "all") read from the response example OKX publishes, and the
 * replay route's answer read back by the same parser.
 */
import { describe, expect, it } from 'vitest';
import { okxInstrumentsAnswer, parseOkxInstruments } from '../../../src-main/engine/venues/okx/okxInstruments.ts';

// Documentation example: https://www.okx.com/docs-v5/en/#public-data-rest-api-get-instruments
// ("Response Example" of GET /api/v5/public/instruments?instType=SPOT).
const SPOT_EXAMPLE = `{
    "code":"0",
    "msg":"",
    "data":[
      {
            "alias": "",
            "auctionEndTime": "",
            "baseCcy": "BTC",
            "category": "1",
            "ctMult": "",
            "ctType": "",
            "ctVal": "",
            "ctValCcy": "",
            "expTime": "",
            "futureSettlement": false,
            "instFamily": "",
            "instId": "BTC-USDT",
            "instType": "SPOT",
            "lever": "10",
            "listTime": "1606468572000",
            "lotSz": "0.00000001",
            "maxIcebergSz": "9999999999.0000000000000000",
            "maxLmtAmt": "1000000",
            "maxLmtSz": "9999999999",
            "maxMktAmt": "1000000",
            "maxMktSz": "",
            "maxStopSz": "",
            "maxTriggerSz": "9999999999.0000000000000000",
            "maxTwapSz": "9999999999.0000000000000000",
            "minSz": "0.00001",
            "optType": "",
            "quoteCcy": "USDT",
            "settleCcy": "",
            "state": "live",
            "ruleType": "normal",
            "stk": "",
            "tickSz": "0.1",
            "uly": ""
        }
    ]
}`;

describe('OKX instrument listings', () => {
  it('lists the live instrument of the documented example with its tick and lot size', () => {
    expect(parseOkxInstruments(SPOT_EXAMPLE, 'SPOT')).toEqual({ ok: true, instruments: [{ venueSymbol: 'BTC-USDT', tickSize: '0.1', lotSize: '0.00000001' }] });
  });

  it('leaves out the documented states that do not trade: suspend, preopen, test', () => {
    for (const state of ['suspend', 'preopen', 'test']) {
      expect(parseOkxInstruments(SPOT_EXAMPLE.replace('"state": "live"', `"state": "${state}"`), 'SPOT')).toEqual({ ok: true, instruments: [] });
    }
  });

  it('reports an OKX error code and a body without data', () => {
    // OKX's error envelope: a non-zero code with its message and empty data.
    expect(parseOkxInstruments('{"code":"50014","msg":"Parameter instType can not be empty.","data":[]}', 'SWAP')).toEqual({ ok: false, error: 'okx instruments SWAP: code 50014 Parameter instType can not be empty.' });
    expect(parseOkxInstruments('{"code":"0","msg":""}', 'SWAP')).toEqual({ ok: false, error: 'okx instruments SWAP: the answer has no "data" list' });
  });

  it('the replay route answers each instType with the recorded instruments of that type, in the documented envelope', () => {
    // The instruments of okx/cryptofeed_books_2022-05-13.ndjson.
    const recorded = ['BTC-USD-220527', 'BTC-USDT', 'UNI-USD-SWAP'];
    const ask = (q: string) => okxInstrumentsAnswer({ url: new URL(`http://127.0.0.1/api/v5/public/instruments${q}`), method: 'GET', body: '' }, recorded);
    const listed = (q: string, t: 'SPOT' | 'SWAP' | 'FUTURES') => {
      const a = ask(q);
      return a === undefined ? undefined : parseOkxInstruments(a.body, t);
    };
    expect(listed('?instType=SPOT', 'SPOT')).toEqual({ ok: true, instruments: [{ venueSymbol: 'BTC-USDT' }] });
    expect(listed('?instType=SWAP', 'SWAP')).toEqual({ ok: true, instruments: [{ venueSymbol: 'UNI-USD-SWAP' }] });
    expect(listed('?instType=FUTURES', 'FUTURES')).toEqual({ ok: true, instruments: [{ venueSymbol: 'BTC-USD-220527' }] });
    expect(JSON.parse(ask('?instType=SWAP')!.body).data).toEqual([{ instType: 'SWAP', instId: 'UNI-USD-SWAP', uly: 'UNI-USD', instFamily: 'UNI-USD', settleCcy: 'UNI', ctType: 'inverse', state: 'live' }]);
    expect(ask('')?.status).toBe(400);
    expect(okxInstrumentsAnswer({ url: new URL('http://127.0.0.1/api/v5/market/books?instId=BTC-USDT'), method: 'GET', body: '' }, recorded)).toBeUndefined();
  });
});
