/**
 * WsConnection against a local Binance replay server (real cryptofeed_spot_4sym frames): server
 * pings answered, control frames throttled to the venue limit, stale detection with a probe,
 * rotation, backoff with seeded jitter and the connect-attempt gate; periodic pings, reconnects
 * on request and URLs resolved before each attempt. Schedules are checked from the connection's
 * own logs against the algorithm, never against wall-clock budgets.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { loadRecording } from '../../../src-main/engine/replay/recording.ts';
import { replayProtocol } from '../../../src-main/engine/replay/replayProtocols.ts';
import { VenueServer } from '../../../src-main/engine/replay/venueServer.ts';
import type { VenueServerOptions } from '../../../src-main/engine/replay/venueServer.ts';
import { backoffDelay, ConnectGate, mulberry32 } from '../../../src-main/engine/feed/backoff.ts';
import { WsConnection } from '../../../src-main/engine/feed/wsConnection.ts';
import type { CloseInfo, WsConnectionOptions } from '../../../src-main/engine/feed/wsConnection.ts';
import { dataPath } from '../../support/data.ts';
import { activeHandles, expectNoLeaks, until } from '../../support/liveReplay.ts';

const FILE = 'binance/cryptofeed_spot_4sym_2021-10-12.ndjson';

let server: VenueServer | undefined;
const conns: WsConnection[] = [];
let baseline = activeHandles();

beforeEach(() => {
  baseline = activeHandles();
});

afterEach(async () => {
  for (const c of conns.splice(0)) await c.stop();
  await server?.close();
  server = undefined;
  await expectNoLeaks(baseline);
});

async function startServer(opts: Partial<VenueServerOptions> = {}): Promise<VenueServer> {
  const records = await loadRecording(dataPath(FILE));
  server = await VenueServer.start({ protocol: replayProtocol('binance-spot')!, sources: [{ file: FILE, records }], speed: 0, ...opts });
  return server;
}

interface Seen {
  events: string[];
  frames: string[];
  closes: CloseInfo[];
  notices: string[];
  stale: number;
}

function connect(url: string, opts: Partial<WsConnectionOptions> = {}): { conn: WsConnection; seen: Seen } {
  const seen: Seen = { events: [], frames: [], closes: [], notices: [], stale: 0 };
  const conn = new WsConnection({
    id: 'test#0',
    url,
    controlMessagesPerSecond: 5,
    staleAfterMs: 3_600_000,
    lifetimeMs: 0,
    backoff: { initialMs: 10, maxMs: 40 },
    random: mulberry32(3),
    ...opts,
    handler: {
      onOpen: () => seen.events.push('open'),
      onMessage: (text) => seen.frames.push(text),
      onClose: (info) => {
        seen.events.push(`close:${info.cause}`);
        seen.closes.push(info);
      },
      onStale: () => {
        seen.events.push('stale');
        seen.stale++;
      },
      onNotice: (level, m) => seen.notices.push(`${level} ${m}`),
    },
  });
  conns.push(conn);
  conn.start();
  return { conn, seen };
}

describe('WsConnection', () => {
  it("answers the server's pings (ws autoPong), as Binance requires within a minute", async () => {
    const s = await startServer({ pingIntervalMs: 20 });
    const { conn } = connect(`${s.wsUrl}/stream?streams=nknusdt@depth@100ms`);
    await until(() => (s.clients()[0]?.pongs ?? 0) >= 3);
    expect(conn.isOpen()).toBe(true);
    expect(conn.counters.reconnects).toBe(0);
  });

  it('throttles frames it sends to the venue limit (5/s, one slot kept for pongs) and the venue never disconnects it', async () => {
    const s = await startServer();
    const { conn, seen } = connect(`${s.wsUrl}/stream`);
    await until(() => conn.isOpen());
    for (let id = 1; id <= 10; id++) conn.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['nknusdt@bookTicker'], id }));
    await until(() => seen.frames.filter((f) => f.startsWith('{"result":null')).length === 10);
    expect(seen.frames.filter((f) => f.startsWith('{"result":null')).map((f) => (JSON.parse(f) as { id: number }).id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const log = conn.sendLog;
    expect(log).toHaveLength(10);
    // Any 5 consecutive sends span at least a second: never more than 4 in a 1 s window.
    for (let i = 0; i + 4 < log.length; i++) expect(log[i + 4]! - log[i]!).toBeGreaterThanOrEqual(1000);
    expect(conn.counters.reconnects).toBe(0);
    expect(s.clients()[0]!.open).toBe(true);
  });

  it('a fractional rate is an hourly op budget (OKX 480/h): the budget goes out at once, the rest waits; keepalives do not count', async () => {
    const s = await startServer();
    const { conn, seen } = connect(`${s.wsUrl}/stream`, { controlMessagesPerSecond: 3 / 3600 });
    await until(() => conn.isOpen());
    // Slower than this replay's own 5/s inbound limit (it is Binance's server).
    conn.setKeepalive({ intervalMs: 300, frame: () => '{"method":"LIST_SUBSCRIPTIONS","id":0}' });
    await until(() => seen.frames.filter((f) => f.endsWith('"id":0}')).length >= 2);
    for (let id = 1; id <= 5; id++) conn.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['nknusdt@bookTicker'], id }));
    expect(conn.queued).toBe(2);
    await until(() => seen.frames.filter((f) => f.startsWith('{"result":null')).length === 3);
    expect(conn.sendLog).toHaveLength(3);
    expect(conn.queued).toBe(2);
    expect(conn.counters.reconnects).toBe(0);
  });

  it('keepalive frames from the session share a per-second limit', async () => {
    const s = await startServer();
    const { conn, seen } = connect(`${s.wsUrl}/stream`);
    await until(() => conn.isOpen());
    conn.setKeepalive({ intervalMs: 10, frame: () => '{"method":"LIST_SUBSCRIPTIONS","id":0}' });
    await until(() => seen.frames.length >= 6);
    const log = conn.sendLog;
    for (let i = 0; i + 4 < log.length; i++) expect(log[i + 4]! - log[i]!).toBeGreaterThanOrEqual(1000);
    expect(s.clients()[0]!.open).toBe(true);
  });

  it('the limit is real: a client that sends 7 frames at once is disconnected by the venue (1008)', async () => {
    const s = await startServer();
    const ws = new WebSocket(`${s.wsUrl}/stream`);
    await new Promise((resolve) => ws.once('open', resolve));
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    for (let id = 1; id <= 7; id++) ws.send(JSON.stringify({ method: 'LIST_SUBSCRIPTIONS', id }));
    expect(await closed).toBe(1008);
  });

  it('a stalled venue: stale after the silence, probe unanswered, socket replaced', async () => {
    const s = await startServer({ faults: [{ match: { client: 1, symbol: 'NKNUSDT', channel: 'depth', index: 5 }, fault: { kind: 'stall' } }] });
    const { conn, seen } = connect(`${s.wsUrl}/stream?streams=nknusdt@depth@100ms`, { staleAfterMs: 100, probeTimeoutMs: 50 });
    await until(() => seen.events.filter((e) => e === 'open').length === 2);
    expect(seen.events.slice(0, 4)).toEqual(['open', 'stale', 'close:stale', 'open']);
    expect(conn.counters).toMatchObject({ stale: 1, probes: 1, pongs: 0, reconnects: 1 });
    expect(seen.notices.some((n) => n.includes('no answer to the stale probe'))).toBe(true);
  });

  it('a quiet but alive venue: stale once, probes answered, no reconnect', async () => {
    const s = await startServer();
    const { conn, seen } = connect(`${s.wsUrl}/stream?streams=nknusdt@depth@100ms`, { staleAfterMs: 100, probeTimeoutMs: 50 });
    await s.ended;
    await until(() => conn.counters.pongs >= 2);
    expect(seen.stale).toBe(1);
    expect(conn.counters.reconnects).toBe(0);
    expect(conn.counters.probes).toBeGreaterThanOrEqual(2);
    expect(seen.events).toEqual(['open', 'stale']);
  });

  it('rotates before its lifetime: planned close, immediate reconnect', async () => {
    const s = await startServer();
    const { conn, seen } = connect(`${s.wsUrl}/stream?streams=nknusdt@depth@100ms`, { lifetimeMs: 100 });
    await until(() => seen.events.length >= 5);
    expect(seen.events.slice(0, 5)).toEqual(['open', 'close:rotation', 'open', 'close:rotation', 'open']);
    expect(seen.closes[0]!.code).toBe(1000);
    expect(conn.counters.rotations).toBeGreaterThanOrEqual(2);
  });

  it('reconnects with exponential backoff and seeded jitter after refused handshakes', async () => {
    const s = await startServer();
    const policy = { initialMs: 10, maxMs: 40 };
    // Raw /ws/ paths are refused by this replay (404): every attempt fails.
    const { conn } = connect(`${s.wsUrl}/ws/nknusdt@depth`, { backoff: policy, random: mulberry32(11) });
    await until(() => conn.attemptLog.length >= 5);
    const replica = mulberry32(11);
    for (let k = 0; k + 1 < 5; k++) expect(conn.attemptLog[k + 1]! - conn.attemptLog[k]!).toBeGreaterThanOrEqual(Math.floor(backoffDelay(k, policy, replica)));
    expect(conn.counters.connects).toBe(0);
    expect(conn.counters.failedConnects).toBeGreaterThanOrEqual(4);
  });

  it('sends WebSocket pings every pingIntervalMs when the venue wants them (Kraken Futures), answered, within the frame throttle', async () => {
    const s = await startServer();
    const { conn, seen } = connect(`${s.wsUrl}/stream?streams=nknusdt@depth@100ms`, { pingIntervalMs: 10 });
    await until(() => conn.counters.pongs >= 6);
    expect(conn.counters.pings).toBeGreaterThanOrEqual(6);
    expect(conn.counters.probes).toBe(0);
    // Binance counts PING frames in its 5 per second: never more than 4 in a second, and the venue keeps the client.
    const log = conn.sendLog;
    for (let i = 0; i + 4 < log.length; i++) expect(log[i + 4]! - log[i]!).toBeGreaterThanOrEqual(1000);
    expect(s.clients()[0]!.open).toBe(true);
    expect(seen.events).toEqual(['open']);
  });

  it('reconnect() at the owner\'s request (Binance serverShutdown): closed as requested, reopened without waiting for the backoff', async () => {
    const s = await startServer();
    // An hour of backoff: the second open proves the reconnect did not wait for it.
    const { conn, seen } = connect(`${s.wsUrl}/stream?streams=nknusdt@depth@100ms`, { backoff: { initialMs: 3_600_000, maxMs: 3_600_000 } });
    await until(() => conn.isOpen());
    conn.reconnect('venue announced serverShutdown');
    await until(() => seen.events.length >= 3);
    expect(seen.events).toEqual(['open', 'close:requested', 'open']);
    expect(seen.closes[0]).toMatchObject({ cause: 'requested', code: 1000, reason: 'venue announced serverShutdown', wasOpen: true });
    expect(conn.counters).toMatchObject({ connects: 2, reconnects: 1, failedConnects: 0 });
    expect(seen.notices.some((n) => n.includes('reconnecting now (venue announced serverShutdown)'))).toBe(true);
  });

  it('asks for the URL before every attempt: a failed answer is reported and retried with the backoff, a rotation asks again', async () => {
    const s = await startServer();
    const asked: number[] = [];
    const { conn, seen } = connect('ws://resolved-before-each-attempt.invalid/', {
      lifetimeMs: 100,
      resolve: async (attempt) => {
        asked.push(attempt);
        if (attempt === 0) return { ok: false, message: 'token refused' };
        return { ok: true, url: `${s.wsUrl}/stream?streams=nknusdt@depth@100ms&attempt=${attempt}`, pingIntervalMs: 1000 + attempt };
      },
    });
    await until(() => seen.events.filter((e) => e === 'open').length === 2);
    expect(asked.slice(0, 3)).toEqual([0, 1, 2]);
    expect(seen.events.slice(0, 3)).toEqual(['open', 'close:rotation', 'open']);
    expect(conn.counters).toMatchObject({ resolveFailures: 1, failedConnects: 1 });
    expect(conn.url).toBe(`${s.wsUrl}/stream?streams=nknusdt@depth@100ms&attempt=2`);
    expect(conn.resolvedPingIntervalMs).toBe(1002);
    expect(seen.notices.filter((n) => n.includes('no connection URL (token refused)'))).toHaveLength(1);
    // The backoff after the failure was the first of the policy's schedule.
    expect(conn.attemptLog[1]! - conn.attemptLog[0]!).toBeGreaterThanOrEqual(Math.floor(backoffDelay(0, { initialMs: 10, maxMs: 40 }, mulberry32(3))));
  });

  it('a resolution that never answers is abandoned after the handshake timeout and retried; stop() aborts the one in flight', async () => {
    const signals: AbortSignal[] = [];
    const { conn, seen } = connect('ws://resolved-before-each-attempt.invalid/', {
      handshakeTimeoutMs: 20,
      resolve: (_attempt, signal) => {
        signals.push(signal);
        return new Promise((resolve) => signal.addEventListener('abort', () => resolve({ ok: false, message: (signal.reason as Error).message })));
      },
    });
    await until(() => signals.length >= 2);
    expect(seen.notices[0]).toContain('no connection URL (no answer within 20 ms)');
    expect(conn.counters.resolveFailures).toBeGreaterThanOrEqual(1);
    const last = signals.at(-1)!;
    await until(() => conn.state === 'connecting');
    await conn.stop();
    expect(last.aborted).toBe(true);
    expect((last.reason as Error).message).toBe('connection stopped');
    expect(conn.counters.connects).toBe(0);
  });

  it('never exceeds the venue connect limit, whatever the backoff says', async () => {
    const s = await startServer();
    const gate = new ConnectGate({ count: 2, windowMs: 300 });
    const { conn } = connect(`${s.wsUrl}/ws/nknusdt@depth`, { backoff: { initialMs: 1, maxMs: 1 }, gate });
    await until(() => conn.attemptLog.length >= 5);
    const log = conn.attemptLog;
    for (let i = 0; i + 2 < log.length; i++) expect(log[i + 2]! - log[i]!).toBeGreaterThanOrEqual(300);
  });
});
