/**
 * OKX instrument listings ("symbols": "all") read from the response example OKX publishes, and the
 * replay route's answer read back by the same parser.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { selectVenues } from '../../../src-main/hosts/venueSelection.ts';
import { listOkxSymbols, okxInstrumentsAnswer, parseOkxInstruments } from '../../../src-main/engine/venues/okx/okxInstruments.ts';

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

describe('OKX "all" symbols carry their increments to the feed processes', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((sv) => new Promise<void>((r) => sv.close(() => r()))));
  });

  /** A local OKX REST front: the documented SPOT example, no instruments of the other types. */
  async function okxFront(): Promise<string> {
    const server = createServer((req, res) => {
      const type = new URL(req.url ?? '/', 'http://127.0.0.1').searchParams.get('instType');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(type === 'SPOT' ? SPOT_EXAMPLE : '{"code":"0","msg":"","data":[]}');
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const addr = server.address();
    return `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  }

  it('the listing gives each symbol once with its tick and lot; selection keeps them for the chosen symbols, also when a feed process re-selects its explicit symbols', async () => {
    const base = await okxFront();
    expect(await listOkxSymbols(base)).toEqual({ ok: true, symbols: ['BTC-USDT'], instruments: [{ venueSymbol: 'BTC-USDT', tickSize: '0.1', lotSize: '0.00000001' }] });
    const host = await selectVenues([{ venue: 'okx', symbols: 'all', restUrl: base }]);
    expect(host).toEqual({ venues: [{ venue: 'okx', symbols: ['BTC-USDT'], restUrl: base, increments: { 'BTC-USDT': { tickSize: '0.1', lotSize: '0.00000001' } } }], skipped: [] });
    // The feed process gets the resolved symbols and the increments in its payload.
    const feed = await selectVenues(host.venues);
    expect(feed.venues).toEqual(host.venues);
    // Symbols left out (a cap, a shard) leave their increments out too.
    const capped = await selectVenues([{ venue: 'okx', symbols: ['ETH-USDT', 'BTC-USDT'], increments: { 'BTC-USDT': { tickSize: '0.1' } } }], 1);
    expect(capped.venues).toEqual([{ venue: 'okx', symbols: ['ETH-USDT'] }]);
  });
});
