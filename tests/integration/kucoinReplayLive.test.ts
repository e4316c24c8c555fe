/**
 * The live engine against a local KuCoin server replaying the real level2 recording: every book
 * buffers its first l2updates, aligns with a level2_100 snapshot the server cuts from its
 * reference (sequence included), follows sequenceStart/sequenceEnd and ends equal to the
 * reference, CAPP-BTC included (its 452338153.08 size at scale 8 is beyond 2^53 and held exactly).
 * Every socket opens on the URL a bullet-public token gives (asked before each connect) and pings
 * at the interval that answer names.
 */
import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { fetchKucoinBullet } from '../../src-main/engine/venues/kucoin/kucoinBullet.ts';
import { bookDifferences, leftLive, liveReplay, quiescent, until } from '../support/liveReplay.ts';
import type { LiveReplay } from '../support/liveReplay.ts';

const REL = 'kucoin/cryptofeed_level2_2021-04-25.ndjson';
const NO_REFERENCE = new Set<string>([]);
const timing = { restTimeoutMs: 300 };

let r: LiveReplay | undefined;
const proxies: BulletProxy[] = [];
afterEach(async () => {
  await r?.close();
  r = undefined;
  for (const p of proxies.splice(0)) await p.close();
});

interface BulletProxy {
  url: string;
  bulletRequests: number;
  close(): Promise<void>;
}

/**
 * A REST front for the replay server: it refuses the first `refuse` bullet-public requests as
 * KuCoin refuses over its rate limit (HTTP 429, code 429000, the body kucoinReplay gives too),
 * then hands out the server's bullet with `pingIntervalMs` in place of its 18 s, so that pings
 * are seen within a test. Every other request passes through unchanged.
 */
async function bulletProxy(upstream: string, refuse: number, pingIntervalMs: number): Promise<BulletProxy> {
  const proxy: BulletProxy = { url: '', bulletRequests: 0, close: async () => {} };
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    void (async () => {
      if (path.startsWith('/api/v1/bullet-public')) {
        if (++proxy.bulletRequests <= refuse) {
          res.writeHead(429, { 'content-type': 'application/json' }).end(JSON.stringify({ code: '429000', msg: 'Too Many Requests' }));
          return;
        }
        const up = await fetch(`${upstream}${path}`, { method: 'POST' });
        const body = JSON.parse(await up.text()) as { data: { instanceServers: { pingInterval: number }[] } };
        for (const s of body.data.instanceServers) s.pingInterval = pingIntervalMs;
        res.writeHead(up.status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        return;
      }
      const up = await fetch(`${upstream}${path}`, { method: req.method ?? 'GET' });
      const retryAfter = up.headers.get('retry-after');
      res.writeHead(up.status, { 'content-type': up.headers.get('content-type') ?? 'application/json', ...(retryAfter !== null ? { 'retry-after': retryAfter } : {}) }).end(await up.text());
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  proxy.url = `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}`;
  proxy.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  proxies.push(proxy);
  return proxy;
}

async function settled(run: LiveReplay): Promise<void> {
  await quiescent(run);
  await until(() => [...run.svc.books()].every((sb) => NO_REFERENCE.has(sb.symbol) || sb.state === 'live'));
}

describe('KuCoin replay -> live engine', () => {
  it('all 8 representable symbols live from level2_100 snapshots on one connection, 0 gaps, books exact', async () => {
    r = await liveReplay(REL, { timing });
    await settled(r);
    const books = [...r.svc.books()];
    expect(books.map((b) => b.symbol).sort()).toEqual(['ANKR-BTC', 'BCHSV-USDT', 'CAPP-BTC', 'COV-BTC', 'DAPPT-BTC', 'EQZ-BTC', 'FET-BTC', 'NRG-BTC', 'SNX-BTC']);
    expect(r.svc.connections('kucoin').map((c) => c.plan.url)).toEqual([`${r.server.wsUrl}/endpoint`]);
    for (const sb of books) {
      if (NO_REFERENCE.has(sb.symbol)) {
        expect(r.server.reference(sb.symbol)).toBeUndefined();
        continue;
      }
      const ref = r.server.reference(sb.symbol)!;
      expect(sb.state, sb.symbol).toBe('live');
      expect(sb.counters.gaps, sb.symbol).toBe(0);
      expect(leftLive(r, sb.symbol), sb.symbol).toEqual([]);
      expect(sb.seq, sb.symbol).toBe(ref.seq);
      expect(bookDifferences(sb, ref, 50), sb.symbol).toEqual([]);
    }
    const served = r.server.restLog.filter((l) => l.status === 200);
    expect(served.every((l) => l.limit === 100)).toBe(true);
    expect(served.map((l) => l.symbol).sort()).toEqual(books.map((b) => b.symbol).filter((s) => !NO_REFERENCE.has(s)).sort());
  });

  it('a token before every connect: a refused bullet-public is reported and retried with backoff, the socket opens on the token URL and pings as often as the bullet said', async () => {
    let proxy: BulletProxy | undefined;
    r = await liveReplay(REL, {
      timing,
      configure: async (v, server) => {
        proxy = await bulletProxy(server.restUrl, 1, 40);
        return { ...v, restUrl: proxy.url };
      },
    });
    await settled(r);
    const conn = r.svc.connections('kucoin')[0]!.connection;
    expect(proxy!.bulletRequests).toBe(2);
    expect(conn.counters).toMatchObject({ resolveFailures: 1, failedConnects: 1, connects: 1, reconnects: 1 });
    expect(r.notices.some((n) => n.level === 'warn' && n.message.includes('no connection URL (bullet-public HTTP 429'))).toBe(true);
    const url = new URL(conn.url);
    expect(`${url.protocol}//${url.host}${url.pathname}`).toBe(`${r.server.wsUrl}/endpoint`);
    expect(url.searchParams.get('token')).toBe('replay');
    // Unique per socket: the connection and its attempt.
    expect(url.searchParams.get('connectId')).toBe('kucoin-0-1');
    expect(conn.keepaliveIntervalMs).toBe(40);
    // The two subscriptions, then the session's {"id","type":"ping"} frames reach the server.
    await until(() => (r!.server.clients()[0]?.framesReceived ?? 0) >= 4);
    for (const sb of r.svc.books()) {
      expect(sb.state, sb.symbol).toBe('live');
      expect(bookDifferences(sb, r.server.reference(sb.symbol)!, 50), sb.symbol).toEqual([]);
    }
  });

  it('without a proxy the engine takes its token from the replay server: the keepalive runs at the bullet pingInterval (18 s)', async () => {
    r = await liveReplay(REL, { timing });
    await settled(r);
    const conn = r.svc.connections('kucoin')[0]!.connection;
    expect(new URL(conn.url).searchParams.get('token')).toBe('replay');
    expect(conn.keepaliveIntervalMs).toBe(18_000);
    expect(conn.counters.resolveFailures).toBe(0);
  });

  it('the bullet-public handshake points at the push endpoint, which acknowledges a level2 subscription', async () => {
    r = await liveReplay(REL, { timing });
    const bullet = await fetchKucoinBullet('c-1', `${r.server.restUrl}/api/v1/bullet-public`);
    expect(bullet).toMatchObject({ ok: true });
    if (!bullet.ok) return;
    const url = new URL(bullet.url);
    expect(`${url.protocol}//${url.host}${url.pathname}`).toBe(`${r.server.wsUrl}/endpoint`);
    expect(url.searchParams.get('connectId')).toBe('c-1');
    expect(bullet.pingIntervalMs).toBe(18_000);
    const ws = new WebSocket(bullet.url);
    const replies: unknown[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.once('error', reject);
      ws.once('open', () => {
        ws.send(JSON.stringify({ id: '7', type: 'subscribe', topic: '/market/level2:SNX-BTC', privateChannel: false, response: true }));
        ws.send(JSON.stringify({ id: '8', type: 'ping' }));
      });
      ws.on('message', (data) => {
        const m = JSON.parse(String(data)) as { type: string };
        if (m.type === 'ack' || m.type === 'pong') replies.push(m);
        if (replies.length === 2) resolve();
      });
    });
    ws.close();
    expect(replies).toMatchObject([{ id: '7', type: 'ack' }, { id: '8', type: 'pong' }]);
  });
});
