import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { WebSocket } from 'ws';
import { HeadlessHost, newToken, parseResyncScope, tokenMatches } from '../../../src-main/hosts/headlessHost.ts';
import { Supervisor } from '../../../src-main/hosts/supervisor.ts';
import { loadConfigOrThrow } from '../../../src-main/hosts/config.ts';
import { PROTOCOL_VERSION } from '../../../src-shared/contracts/engineApi.ts';
import type { BookView, EngineStatus } from '../../../src-shared/contracts/engineApi.ts';
import { Peer } from '../../../src-shared/contracts/rpc.ts';
import { jsonTextPort } from '../../../src-shared/contracts/transports.ts';
import { bridgeUrlFor } from '../../../src-shared/contracts/bridgeUrl.ts';
import { realBooks } from '../../support/realBooks.ts';
import { FakeLauncher } from '../../support/fakeProcesses.ts';

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function http(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Open the bridge like the page does; resolves with the peer after hello, or rejects with the HTTP refusal. */
function bridge(url: string, headers: Record<string, string> = {}): Promise<{ peer: Peer; ws: WebSocket }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.on('error', reject);
    ws.on('open', () => {
      const ends = jsonTextPort((t) => ws.send(t), () => ws.close());
      ws.on('message', (d) => ends.deliverText(d.toString()));
      ws.on('close', () => ends.end('closed'));
      const peer = new Peer(ends.port, { hello: { protocolVersion: PROTOCOL_VERSION, build: 'test', role: 'renderer', name: 'test-page' } });
      peer.ready().then(() => resolve({ peer, ws }), reject);
    });
  });
}

const token = newToken();
const dir = mkdtempSync(join(tmpdir(), 'depthdesk-host-'));
let sup: Supervisor;
let host: HeadlessHost;
let base: string;

beforeAll(async () => {
  const data = [...(await realBooks('binance/cryptofeed_spot_4sym_2021-10-12.ndjson')), ...(await realBooks('okx/cryptofeed_books_2022-05-13.ndjson'))];
  const launcher = new FakeLauncher(data);
  const spot = data.filter((d) => d.status.venue === 'binance-spot').map((d) => d.status.symbol);
  const okx = data.filter((d) => d.status.venue === 'okx').map((d) => d.status.symbol);
  sup = new Supervisor({
    launcher,
    processes: [
      { name: 'feed-0', role: 'feed', venues: [{ venue: 'binance-spot', symbols: spot }], bookDepth: 100, multicast: null, dataDir: dir },
      { name: 'feed-1', role: 'feed', venues: [{ venue: 'okx', symbols: okx }], bookDepth: 100, multicast: null, dataDir: dir },
    ],
    build: 'test',
    mode: 'replay',
    log: () => {},
    config: () => ({ config: { http: { token: '[redacted]' } }, source: 'test' }),
  });
  await sup.start();
  launcher.latest('feed-0').goLive();
  launcher.latest('feed-1').goLive();
  const renderer = join(dir, 'renderer');
  mkdirSync(join(renderer, 'assets'), { recursive: true });
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>Depthdesk</title><script type="module" src="./assets/app.js"></script>');
  writeFileSync(join(renderer, 'assets/app.js'), 'export {};\n');
  // The shipped default binding: 127.0.0.1.
  const cfg = loadConfigOrThrow({ env: {} }).config;
  host = new HeadlessHost({ supervisor: sup, host: cfg.http.host, port: 0, token, rendererDir: renderer, build: 'test', log: () => {} });
  await host.start();
  base = `http://127.0.0.1:${host.port}`;
});

afterAll(async () => {
  await host?.stop();
  await sup?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('headless host: access', () => {
  it('binds to 127.0.0.1 by default and prints a URL carrying the token', () => {
    expect(host.boundAddress).toBe('127.0.0.1');
    expect(host.url()).toBe(`http://127.0.0.1:${host.port}/?token=${token}`);
    // 192 random bits, URL-safe.
    expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(newToken()).not.toBe(token);
  });

  it('answers 401 to every request without the right token', async () => {
    for (const path of ['/', '/index.html', '/assets/app.js', '/api/status', '/metrics', '/api/book/okx/BTC-USDT', '/api/diagnostics']) {
      const r = await http(`${base}${path}`);
      expect(r.status, path).toBe(401);
      expect(r.headers['www-authenticate']).toBe('Bearer realm="depthdesk"');
      expect(JSON.parse(r.body).error.code).toBe('unauthorized');
      expect((await http(`${base}${path}?token=${token}x`)).status, `${path} wrong token`).toBe(401);
      expect((await http(`${base}${path}`, { headers: { authorization: `Bearer ${token.slice(1)}` } })).status).toBe(401);
    }
    const post = await http(`${base}/api/resync`, { method: 'POST', body: '{"scope":"all"}' });
    expect(post.status).toBe(401);
  });

  it('accepts the token as bearer, query or the page cookie', async () => {
    expect((await http(`${base}/api/status`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    const page = await http(`${base}/?token=${token}`);
    expect(page.status).toBe(200);
    const cookie = String(page.headers['set-cookie']);
    expect(cookie).toBe(`depthdesk_token_${host.port}=${token}; Path=/; HttpOnly; SameSite=Strict`);
    const asset = await http(`${base}/assets/app.js`, { headers: { cookie: cookie.split(';')[0]! } });
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toBe('text/javascript; charset=utf-8');
  });

  it('refuses foreign Host names on loopback (DNS rebinding)', async () => {
    const r = await http(`${base}/api/status`, { headers: { authorization: `Bearer ${token}`, host: `evil.example:${host.port}` } });
    expect(r.status).toBe(421);
    expect((await http(`${base}/api/status`, { headers: { authorization: `Bearer ${token}`, host: `localhost:${host.port}` } })).status).toBe(200);
  });

  it('serves the page with a strict CSP and no referrer', async () => {
    const r = await http(`${base}/?token=${token}`);
    const csp = String(r.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${host.port} ws://localhost:${host.port}`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(r.headers['referrer-policy']).toBe('no-referrer');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    // Paths outside the renderer folder are never served.
    expect((await http(`${base}/..%2F..%2Fetc%2Fpasswd?token=${token}`)).status).toBe(404);
  });

  it('token comparison is exact', () => {
    expect(tokenMatches(token, token)).toBe(true);
    expect(tokenMatches(`${token} `, token)).toBe(false);
    expect(tokenMatches('', token)).toBe(false);
    expect(tokenMatches(null, token)).toBe(false);
  });
});

describe('headless host: WebSocket bridge', () => {
  it('refuses the bridge without the token or from another origin', async () => {
    await expect(bridge(`ws://127.0.0.1:${host.port}/bridge`)).rejects.toThrow('HTTP 401');
    await expect(bridge(`ws://127.0.0.1:${host.port}/bridge?token=nope`)).rejects.toThrow('HTTP 401');
    await expect(bridge(`ws://127.0.0.1:${host.port}/bridge?token=${token}`, { origin: 'http://evil.example' })).rejects.toThrow('HTTP 403');
  });

  it('carries the engine contract: hello, requests, events', async () => {
    // The page derives the bridge URL from its own address (the shared contract).
    const b = bridgeUrlFor(host.url());
    expect(b.ok).toBe(true);
    const { peer, ws } = await bridge(b.ok ? b.url : '', { origin: `http://127.0.0.1:${host.port}` });
    expect(peer.remote).toMatchObject({ role: 'host', protocolVersion: PROTOCOL_VERSION });
    const st = await peer.call('status.get', {});
    expect(st.symbols).toHaveLength(7);
    expect(st.symbols.every((s) => s.state === 'live')).toBe(true);
    const book = await peer.call('book.get', { venue: 'okx', symbol: 'BTC-USDT', depth: 1 });
    expect(book.bids[0]).toEqual({ price: '30236.1', size: '0.18050747' });
    const err = await peer.call('book.get', { venue: 'kraken', symbol: 'XBT/USD', depth: 1 }).catch((e: { code: string }) => e.code);
    expect(err).toBe('unknown-venue');
    await peer.call('view.subscribe', { books: [{ venue: 'okx', symbol: 'BTC-USDT' }], depth: 3 });
    ws.close();
  });

  it('a malformed frame closes the bridge with the reason', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/bridge?token=${token}`);
    await new Promise((r) => ws.on('open', r));
    const closed = new Promise<string>((r) => ws.on('close', (_c, reason) => r(reason.toString())));
    ws.send('{"t":"req","id":"x"}');
    expect(await closed).toBe('bad message: req without an integer id');
  });
});

describe('headless host: HTTP API', () => {
  const auth = { authorization: `Bearer ${token}` };

  it('GET /api/status: every symbol with state, sequence, age, counters and owning process', async () => {
    const r = await http(`${base}/api/status`, { headers: auth });
    const st = JSON.parse(r.body) as EngineStatus;
    expect(st.symbols.map((s) => `${s.venue} ${s.symbol} ${s.state} ${s.process}`)).toEqual([
      'binance-spot BLZETH live feed-0',
      'binance-spot LRCBTC live feed-0',
      'binance-spot NKNUSDT live feed-0',
      'binance-spot RUNEEUR live feed-0',
      'okx BTC-USD-220527 live feed-1',
      'okx BTC-USDT live feed-1',
      'okx UNI-USD-SWAP live feed-1',
    ]);
    const btc = st.symbols.find((s) => s.symbol === 'BTC-USDT')!;
    expect(btc.counters.checksumOk).toBe(98);
    expect(btc.counters.gaps).toBe(0);
    expect(st.processes.map((p) => p.state)).toEqual(['running', 'running']);
  });

  it('GET /api/book/{venue}/{symbol}?depth=N: the exact book', async () => {
    const r = await http(`${base}/api/book/okx/BTC-USDT?depth=2`, { headers: auth });
    expect(r.status).toBe(200);
    const b = JSON.parse(r.body) as BookView;
    expect(b.bids).toHaveLength(2);
    expect(b.asks[0]).toEqual({ price: '30236.2', size: '0.001' });
    expect((await http(`${base}/api/book/okx/BTC-USDT?depth=0`, { headers: auth })).status).toBe(400);
    expect((await http(`${base}/api/book/okx/ETH-USDT?depth=2`, { headers: auth })).status).toBe(404);
    expect((await http(`${base}/api/book/kraken/XBT%2FUSD`, { headers: auth })).status).toBe(404);
  });

  it('POST /api/resync routes to the owner; bad bodies are 400', async () => {
    const r = await http(`${base}/api/resync`, { method: 'POST', headers: auth, body: JSON.stringify({ scope: 'symbol', venue: 'okx', symbol: 'BTC-USDT' }) });
    expect(r.status).toBe(202);
    expect(JSON.parse(r.body)).toEqual({ accepted: 1 });
    expect(JSON.parse((await http(`${base}/api/resync`, { method: 'POST', headers: auth, body: '{"scope":"all"}' })).body)).toEqual({ accepted: 7 });
    const bad = await http(`${base}/api/resync`, { method: 'POST', headers: auth, body: '{"scope":"venue"}' });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error.message).toMatch(/^body must be/);
    expect((await http(`${base}/api/resync`, { headers: auth })).status).toBe(405);
    expect(parseResyncScope({ scope: 'venue', venue: 'okx' })).toEqual({ scope: 'venue', venue: 'okx' });
  });

  it('GET /api/events shows the process events; GET /api/config the redacted configuration', async () => {
    const ev = JSON.parse((await http(`${base}/api/events?limit=10`, { headers: auth })).body);
    expect(ev.processes.map((e: { name: string; kind: string }) => `${e.name} ${e.kind}`)).toEqual(['feed-0 started', 'feed-1 started']);
    expect(JSON.parse((await http(`${base}/api/config`, { headers: auth })).body)).toEqual({ config: { http: { token: '[redacted]' } }, source: 'test' });
  });

  it('GET /metrics: Prometheus text', async () => {
    const r = await http(`${base}/metrics`, { headers: auth });
    expect(r.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(r.body).toContain('# TYPE depthdesk_book_live gauge');
    expect(r.body).toContain('depthdesk_book_live{venue="okx",symbol="BTC-USDT",process="feed-1"} 1');
    expect(r.body).toContain('depthdesk_book_checksum_ok_total{venue="okx",symbol="BTC-USDT",process="feed-1"} 98');
    expect(r.body).toContain('depthdesk_process_up{process="feed-0",role="feed"} 1');
    expect(r.body).toContain('depthdesk_book_state{venue="binance-spot",symbol="NKNUSDT",process="feed-0",state="live"} 1');
    expect(r.body).toContain('depthdesk_book_state{venue="binance-spot",symbol="NKNUSDT",process="feed-0",state="stale"} 0');
    // Every sample line is "name{labels} value".
    for (const line of r.body.trim().split('\n')) if (!line.startsWith('#')) expect(line).toMatch(/^[a-z_]+(\{[^}]*\})? -?[0-9.e+-]+$/);
  });

  it('GET /api/diagnostics answers 501 until the export is plugged in', async () => {
    const r = await http(`${base}/api/diagnostics`, { headers: auth });
    expect(r.status).toBe(501);
    expect(JSON.parse(r.body).error.message).toMatch(/^GET \/api\/diagnostics: the diagnostics export is not part of this build yet/);
  });
});
