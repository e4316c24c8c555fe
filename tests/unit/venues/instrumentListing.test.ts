/**
 * The shared listing client and decimal helpers: a venue that refuses with 429 and Retry-After is
 * waited for, not hammered; a venue that keeps failing ends in a typed failure at the deadline;
 * non-2xx answers and POST refusals say what happened; steps are computed on the digits.
 * The HTTP fronts here are local servers; the successful body is the Binance replay route's answer
 * for the symbols of binance/cryptofeed_spot_4sym_2021-10-12.ndjson.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { binanceInstrumentsAnswer, listBinanceSymbols } from '../../../src-main/engine/venues/binance/binanceInstruments.ts';
import { plainDecimal, runListing, scaledStep, stepOfDecimals } from '../../../src-main/engine/venues/instrumentListing.ts';

const RECORDED = ['BLZETH', 'LRCBTC', 'NKNUSDT', 'RUNEEUR'];

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

async function front(handle: (req: IncomingMessage, res: ServerResponse, n: number) => void): Promise<{ base: string; seen: () => number }> {
  let n = 0;
  const server = createServer((req, res) => handle(req, res, ++n));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  return { base: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`, seen: () => n };
}

describe('listing client', () => {
  it('waits out a 429 with Retry-After and lists on the next answer', async () => {
    const f = await front((req, res, n) => {
      if (n === 1) {
        res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' });
        res.end('{"code":-1003,"msg":"Too many requests."}');
        return;
      }
      const a = binanceInstrumentsAnswer('binance-spot', 'spot', { url: new URL(req.url ?? '/', 'http://127.0.0.1'), method: req.method ?? 'GET', body: '' }, RECORDED)!;
      res.writeHead(a.status, { 'content-type': 'application/json' });
      res.end(a.body);
    });
    const r = await listBinanceSymbols('binance-spot', 'spot', f.base, { weightPerWindow: 6000, windowMs: 60_000, usedWeightHeader: 'x-mbx-used-weight-1m' });
    // The replay route does not say the increments (the recording does not hold them).
    expect(r).toEqual({ ok: true, symbols: RECORDED, instruments: RECORDED.map((venueSymbol) => ({ venueSymbol })) });
    expect(f.seen()).toBe(2);
  });

  it('ends a listing whose venue keeps failing at its deadline, with a typed failure', async () => {
    const f = await front((_req, res) => {
      res.writeHead(503);
      res.end('maintenance');
    });
    const r = await runListing({ venue: 'binance-spot', baseUrl: f.base, limits: { weightPerWindow: 6000, windowMs: 60_000 }, deadlineMs: 300 }, async (http) => {
      const g = await http.get('/api/v3/exchangeInfo', 20);
      return g.ok ? { ok: true, instruments: [] } : g;
    });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/^binance-spot GET \/api\/v3\/exchangeInfo: no answer within 0.3 s \(deadline; the venue kept failing or refusing\)$/);
  });

  it('returns a final 4xx with the venue\'s body, and a refused POST with its Retry-After', async () => {
    const f = await front((req, res) => {
      if (req.method === 'POST') {
        res.writeHead(429, { 'retry-after': '2' });
        res.end('null');
        return;
      }
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end('{"code":"50014","msg":"Parameter instType can not be empty.","data":[]}');
    });
    const r = await runListing({ venue: 'okx', baseUrl: f.base, limits: { weightPerWindow: 20, windowMs: 2_000 } }, async (http) => {
      const g = await http.get('/api/v5/public/instruments');
      expect(g).toEqual({ ok: false, error: 'okx GET /api/v5/public/instruments: HTTP 400 {"code":"50014","msg":"Parameter instType can not be empty.","data":[]}' });
      const p = await http.post('/info', { type: 'meta' });
      return p.ok ? { ok: true, instruments: [] } : p;
    });
    expect(r).toEqual({ ok: false, error: 'okx POST /info: HTTP 429 (Retry-After 2) null' });
  });

  it('reports a venue that cannot be reached', async () => {
    const f = await front(() => {});
    const base = f.base;
    await new Promise<void>((r) => servers.pop()!.close(() => r()));
    const r = await runListing({ venue: 'hyperliquid', baseUrl: base, limits: { weightPerWindow: 1200, windowMs: 60_000 } }, async (http) => {
      const p = await http.post('/info', { type: 'meta' });
      return p.ok ? { ok: true, instruments: [] } : p;
    });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/^hyperliquid POST \/info: /);
  });
});

describe('decimal steps', () => {
  it('writes exponents out on the digits, keeping the venue\'s own trailing zeros', () => {
    expect(plainDecimal('1e-7')).toBe('0.0000001');
    expect(plainDecimal('2.5E-5')).toBe('0.000025');
    expect(plainDecimal('1E+2')).toBe('100');
    expect(plainDecimal('0.10')).toBe('0.10');
    expect(plainDecimal('0.00000100')).toBe('0.00000100');
    expect(plainDecimal('0')).toBeUndefined();
    expect(plainDecimal('-0.1')).toBeUndefined();
    expect(plainDecimal('abc')).toBeUndefined();
  });

  it('turns decimals counts and place/multiple pairs into steps', () => {
    expect(stepOfDecimals('0')).toBe('1');
    expect(stepOfDecimals(8)).toBe('0.00000001');
    expect(stepOfDecimals('x')).toBeUndefined();
    expect(scaledStep('1', '1')).toBe('0.1');
    expect(scaledStep('5', '2')).toBe('0.05');
    expect(scaledStep('1', '0')).toBe('1');
  });
});
