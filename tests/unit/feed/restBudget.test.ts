/**
 * RestBudget against a local Binance REST endpoint serving snapshots cut from the real
 * cryptofeed_spot_4sym recording (the replay server, played to its end before the requests).
 * Refusals are the server's fault rules; schedules are asserted from the budget's own record
 * (blockedUntil, send times, priorities), never from wall-clock durations.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadRecording } from '../../../src-main/engine/replay/recording.ts';
import { replayProtocol } from '../../../src-main/engine/replay/replayProtocols.ts';
import { VenueServer } from '../../../src-main/engine/replay/venueServer.ts';
import type { RestRule } from '../../../src-main/engine/replay/faultInjector.ts';
import { backoffDelay, mulberry32 } from '../../../src-main/engine/feed/backoff.ts';
import { RestBudget } from '../../../src-main/engine/feed/restBudget.ts';
import type { RestBudgetOptions, RestOutcome } from '../../../src-main/engine/feed/restBudget.ts';
import { binanceSpot } from '../../../src-main/engine/venues/binance/binanceSpec.ts';
import type { SnapshotPriority } from '../../../src-main/engine/venues/venue.ts';
import { dataPath } from '../../support/data.ts';
import { activeHandles, expectNoLeaks, until } from '../../support/liveReplay.ts';

const FILE = 'binance/cryptofeed_spot_4sym_2021-10-12.ndjson';
const rest = binanceSpot.rest!;

let server: VenueServer;
const budgets: RestBudget[] = [];
let baseline = activeHandles();

async function startServer(restFaults: RestRule[] = []): Promise<VenueServer> {
  const records = await loadRecording(dataPath(FILE));
  server = await VenueServer.start({ protocol: replayProtocol('binance-spot')!, sources: [{ file: FILE, records }], speed: 0, pauseWhenIdle: false, restFaults });
  await server.ended;
  return server;
}

function budget(opts: Partial<RestBudgetOptions> = {}): RestBudget {
  const b = new RestBudget({
    venue: 'binance-spot',
    baseUrl: server.restUrl,
    weightPerWindow: rest.weightPerWindow,
    windowMs: rest.windowMs,
    usedWeightHeader: rest.usedWeightHeader!,
    share: 1,
    random: mulberry32(1),
    ...opts,
  });
  budgets.push(b);
  return b;
}

/** Queue a snapshot request; the promise resolves with its outcome. */
function ask(b: RestBudget, symbol: string, priority: SnapshotPriority): Promise<RestOutcome> {
  return new Promise((resolve) => b.request({ key: symbol, path: rest.snapshotPath(symbol), weight: rest.snapshotWeight, priority, onDone: resolve }));
}

function lastUpdateId(o: RestOutcome): number {
  if (o.kind !== 'response') throw new Error(`expected a response, got ${o.kind}`);
  return (JSON.parse(o.body) as { lastUpdateId: number }).lastUpdateId;
}

beforeEach(() => {
  baseline = activeHandles();
});

afterEach(async () => {
  for (const b of budgets.splice(0)) await b.stop();
  await server?.close();
  await expectNoLeaks(baseline);
});

describe('RestBudget', () => {
  it('answers with the snapshot the venue served (the reference book at that moment)', async () => {
    await startServer();
    const b = budget();
    const o = await ask(b, 'NKNUSDT', 'cold');
    expect(o.kind === 'response' && o.status).toBe(200);
    expect(lastUpdateId(o)).toBe(server.reference('NKNUSDT')!.seq);
    expect(b.history.map((a) => [a.key, a.status, a.weight])).toEqual([['NKNUSDT', 200, 50]]);
    expect(b.view()).toMatchObject({ limit: 6000, windowMs: 60_000, queued: 0, blockedUntilMs: null, lastStatus: 200 });
  });

  it('429 + Retry-After blocks every request until then; afterwards gap > manual > cold, the refused one first among cold', async () => {
    await startServer([{ symbol: 'NKNUSDT', status: 429, retryAfterSec: 1 }]);
    const notices: string[] = [];
    const b = budget({ maxInFlight: 1, notice: (level, m) => notices.push(`${level} ${m}`) });
    const first = ask(b, 'NKNUSDT', 'cold');
    await until(() => b.history[0]?.status === 429);
    // Queued while blocked, lowest priority first.
    const rest3 = [ask(b, 'BLZETH', 'cold'), ask(b, 'LRCBTC', 'manual'), ask(b, 'RUNEEUR', 'gap')];
    expect(b.view().queued).toBe(4);
    expect(b.view().blockedUntilMs).toBe(b.history[0]!.blockedUntilMs);
    const outcomes = await Promise.all([first, ...rest3]);
    for (const o of outcomes) expect(o.kind === 'response' && o.status).toBe(200);
    const h = b.history;
    const refused = h[0]!;
    expect(refused.retryAfterMs).toBe(1000);
    expect(refused.blockedUntilMs).toBe(refused.doneMs! + 1000);
    expect(h.slice(1).map((a) => `${a.priority} ${a.key}`)).toEqual(['gap RUNEEUR', 'manual LRCBTC', 'cold NKNUSDT', 'cold BLZETH']);
    for (const a of h.slice(1)) expect(a.sentMs).toBeGreaterThanOrEqual(refused.blockedUntilMs!);
    expect(server.restLog.map((l) => `${l.status} ${l.symbol}`)).toEqual(['429 NKNUSDT', '200 RUNEEUR', '200 LRCBTC', '200 NKNUSDT', '200 BLZETH']);
    expect(notices.filter((n) => n.startsWith('warn') && n.includes('rate limit (429)'))).toHaveLength(1);
  });

  it('418 is an IP ban: blocked until Retry-After (or the 2-minute default when absent), reported as an error', async () => {
    await startServer([
      { symbol: 'NKNUSDT', status: 418, retryAfterSec: 1 },
      { symbol: 'BLZETH', status: 418 },
    ]);
    const notices: string[] = [];
    const b = budget({ maxInFlight: 1, banFallbackMs: 300, notice: (level, m) => notices.push(`${level} ${m}`) });
    expect(lastUpdateId(await ask(b, 'NKNUSDT', 'cold'))).toBe(server.reference('NKNUSDT')!.seq);
    expect(lastUpdateId(await ask(b, 'BLZETH', 'cold'))).toBe(server.reference('BLZETH')!.seq);
    const [ban1, ok1, ban2, ok2] = b.history;
    expect([ban1!.status, ok1!.status, ban2!.status, ok2!.status]).toEqual([418, 200, 418, 200]);
    expect(ban1!.blockedUntilMs).toBe(ban1!.doneMs! + 1000);
    expect(ok1!.sentMs).toBeGreaterThanOrEqual(ban1!.blockedUntilMs!);
    expect(ban2!.retryAfterMs).toBeNull();
    expect(ban2!.blockedUntilMs).toBe(ban2!.doneMs! + 300);
    expect(ok2!.sentMs).toBeGreaterThanOrEqual(ban2!.blockedUntilMs!);
    expect(notices.filter((n) => n.startsWith('error') && n.includes('IP ban (418)'))).toHaveLength(2);
  });

  it("corrects its own count with the venue's used-weight header (other programs on the same IP)", async () => {
    await startServer();
    // The server counts per wall-clock minute: start well inside one.
    await until(() => Date.now() % 60_000 < 45_000);
    const other = budget();
    for (const s of ['NKNUSDT', 'BLZETH', 'LRCBTC']) await ask(other, s, 'cold');
    const b = budget();
    await ask(b, 'RUNEEUR', 'cold');
    // Own count: one snapshot (50). The venue counted four on this IP.
    expect(b.history[0]!.usedAfter).toBe(200);
    expect(b.view().used).toBe(200);
  });

  it('never sends more weight in a window than the share allows; the rest waits for the next window', async () => {
    await startServer();
    // Own count only: the server's header counts per minute, not per this test's 400 ms window.
    const b = budget({ weightPerWindow: 100, windowMs: 400, maxInFlight: 3, usedWeightHeader: undefined });
    const all = await Promise.all(['NKNUSDT', 'BLZETH', 'LRCBTC', 'RUNEEUR'].map((s) => ask(b, s, 'cold')));
    for (const o of all) expect(o.kind === 'response' && o.status).toBe(200);
    const perWindow = new Map<number, number>();
    for (const a of b.history) perWindow.set(Math.floor(a.sentMs / 400), (perWindow.get(Math.floor(a.sentMs / 400)) ?? 0) + a.weight);
    for (const w of perWindow.values()) expect(w).toBeLessThanOrEqual(100);
    expect(perWindow.size).toBeGreaterThanOrEqual(2);
  });

  it('network errors retry with exponential backoff and seeded jitter (same seed, same schedule)', async () => {
    await startServer();
    const policy = { initialMs: 10, maxMs: 80 };
    // Port 1 on loopback refuses connections.
    const b = budget({ baseUrl: 'http://127.0.0.1:1', backoff: policy, random: mulberry32(42) });
    const outcome = ask(b, 'NKNUSDT', 'cold');
    await until(() => b.history.length >= 5 && b.history[4]!.doneMs !== null);
    const replica = mulberry32(42);
    const h = b.history;
    for (let k = 0; k < 4; k++) {
      expect(h[k]!.error).toMatch(/ECONNREFUSED|connect/i);
      expect(h[k + 1]!.sentMs - h[k]!.doneMs!).toBeGreaterThanOrEqual(Math.floor(backoffDelay(k, policy, replica)));
    }
    expect(b.totals.retried).toBeGreaterThanOrEqual(5);
    await b.stop();
    expect(await outcome).toEqual({ kind: 'cancelled', reason: 'REST budget stopped' });
  });

  it('retries a 5xx, keeps one request per symbol, and returns final 4xx answers without retrying', async () => {
    await startServer([{ symbol: 'LRCBTC', status: 503 }]);
    const b = budget({ backoff: { initialMs: 10, maxMs: 20 } });
    const superseded: RestOutcome[] = [];
    b.request({ key: 'NKNUSDT', path: rest.snapshotPath('NKNUSDT'), weight: 50, priority: 'cold', onDone: (o) => superseded.push(o) });
    const again = ask(b, 'NKNUSDT', 'gap');
    const retried = ask(b, 'LRCBTC', 'cold');
    const unknown = ask(b, 'NOSUCHPAIR', 'cold');
    expect(lastUpdateId(await again)).toBe(server.reference('NKNUSDT')!.seq);
    expect(lastUpdateId(await retried)).toBe(server.reference('LRCBTC')!.seq);
    const u = await unknown;
    expect(u.kind === 'response' && [u.status, JSON.parse(u.body)]).toEqual([400, { code: -1121, msg: 'Invalid symbol.' }]);
    // The answer went to the newest caller only, from a single HTTP request.
    expect(superseded).toEqual([]);
    expect(server.restLog.filter((l) => l.symbol === 'NKNUSDT')).toHaveLength(1);
    expect(b.history.filter((a) => a.key === 'LRCBTC').map((a) => a.status)).toEqual([503, 200]);
    expect(b.history.filter((a) => a.key === 'NOSUCHPAIR').map((a) => a.status)).toEqual([400]);
  });

  it('an answer to a request cancelled in flight is dropped and frees its slot for the next one', async () => {
    await startServer();
    const b = budget({ maxInFlight: 1 });
    const first = ask(b, 'NKNUSDT', 'cold');
    const second = ask(b, 'BLZETH', 'cold');
    expect(b.history.map((a) => a.key)).toEqual(['NKNUSDT']);
    b.cancel('NKNUSDT', 'connection closed');
    expect(await first).toEqual({ kind: 'cancelled', reason: 'connection closed' });
    expect(lastUpdateId(await second)).toBe(server.reference('BLZETH')!.seq);
    expect(b.history.map((a) => [a.key, a.status])).toEqual([
      ['NKNUSDT', 200],
      ['BLZETH', 200],
    ]);
  });

  it('a cancelled request is never sent', async () => {
    await startServer([{ symbol: 'NKNUSDT', status: 429, retryAfterSec: 1 }]);
    const b = budget({ maxInFlight: 1 });
    const first = ask(b, 'NKNUSDT', 'cold');
    await until(() => b.history[0]?.status === 429);
    const queued = ask(b, 'BLZETH', 'cold');
    b.cancel('BLZETH', 'connection closed');
    expect(await queued).toEqual({ kind: 'cancelled', reason: 'connection closed' });
    await first;
    expect(b.history.map((a) => a.key)).toEqual(['NKNUSDT', 'NKNUSDT']);
  });
});
