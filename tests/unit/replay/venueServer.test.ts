/**
 * The local venue server with the Binance protocol, driven by a raw `ws` client and plain HTTP
 * requests, on real recordings: subscriptions and acks, byte-exact replay, REST snapshots cut
 * from the reference book (and waiting for it), frame faults as exact transformations of the
 * recorded sequence, pacing, and backpressure against a client that stops reading.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { formatFixed } from '../../../src-shared/model/decimal.ts';
import { loadRecording } from '../../../src-main/engine/replay/recording.ts';
import type { RecordLine } from '../../../src-main/engine/replay/recording.ts';
import { replayProtocol } from '../../../src-main/engine/replay/replayProtocols.ts';
import { VenueServer } from '../../../src-main/engine/replay/venueServer.ts';
import type { VenueServerOptions } from '../../../src-main/engine/replay/venueServer.ts';
import type { VenueId } from '../../../src-shared/model/market.ts';
import { dataPath } from '../../support/data.ts';
import { activeHandles, expectNoLeaks, until } from '../../support/liveReplay.ts';

const SPOT4 = 'binance/cryptofeed_spot_4sym_2021-10-12.ndjson';
const USDM4 = 'binance/cryptofeed_usdm_4sym_2021-07-22.ndjson';

let server: VenueServer | undefined;
const sockets: WebSocket[] = [];
let baseline = activeHandles();

beforeEach(() => {
  baseline = activeHandles();
});

afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await server?.close();
  server = undefined;
  await expectNoLeaks(baseline);
});

async function start(rel: string, venue: VenueId, opts: Partial<VenueServerOptions> = {}): Promise<{ server: VenueServer; records: RecordLine[] }> {
  const records = await loadRecording(dataPath(rel));
  server = await VenueServer.start({ protocol: replayProtocol(venue)!, sources: [{ file: rel, records }], speed: 0, ...opts });
  return { server, records };
}

/** Recorded frames of one stream, in order. */
function recorded(records: RecordLine[], stream: string): string[] {
  return records.filter((r) => r.dir === 'recv' && r.raw.startsWith(`{"stream":"${stream}"`)).map((r) => r.raw);
}

interface Client {
  ws: WebSocket;
  frames: string[];
}

async function client(url: string): Promise<Client> {
  const ws = new WebSocket(url);
  sockets.push(ws);
  const frames: string[] = [];
  ws.on('message', (d) => frames.push(String(d)));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return { ws, frames };
}

async function get(url: string): Promise<{ status: number; body: string; headers: Headers }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text(), headers: res.headers };
}

describe('VenueServer with the Binance protocol', () => {
  it('subscribe frames are acked and the subscribed stream is replayed byte for byte, nothing else', async () => {
    const { server: s, records } = await start(SPOT4, 'binance-spot');
    const c = await client(`${s.wsUrl}/stream`);
    c.ws.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['nknusdt@depth@100ms'], id: 1 }));
    await s.ended;
    await until(() => c.frames.length === 1 + recorded(records, 'nknusdt@depth@100ms').length);
    expect(c.frames[0]).toBe('{"result":null,"id":1}');
    expect(c.frames.slice(1)).toEqual(recorded(records, 'nknusdt@depth@100ms'));
    c.ws.send(JSON.stringify({ method: 'LIST_SUBSCRIPTIONS', id: 2 }));
    c.ws.send(JSON.stringify({ method: 'UNSUBSCRIBE', params: ['nknusdt@depth@100ms'], id: 3 }));
    c.ws.send(JSON.stringify({ method: 'LIST_SUBSCRIPTIONS', id: 4 }));
    c.ws.send(JSON.stringify({ method: 'SUBSCRIBE', params: 'nknusdt@trade', id: 5 }));
    await until(() => c.frames.length === recorded(records, 'nknusdt@depth@100ms').length + 5);
    expect(c.frames.slice(-4).map((f) => JSON.parse(f))).toEqual([
      { result: ['nknusdt@depth'], id: 2 },
      { result: null, id: 3 },
      { result: [], id: 4 },
      { error: { code: 2, msg: "Invalid request: 'params' must be an array of stream names" }, id: 5 },
    ]);
  });

  it('connect-URL streams subscribe at once; raw /ws/ paths are refused', async () => {
    const { server: s, records } = await start(SPOT4, 'binance-spot');
    const c = await client(`${s.wsUrl}/stream?streams=blzeth@bookTicker/blzeth@depth@100ms`);
    await s.ended;
    const want = records.filter((r) => r.dir === 'recv' && (r.raw.startsWith('{"stream":"blzeth@bookTicker"') || r.raw.startsWith('{"stream":"blzeth@depth@100ms"'))).map((r) => r.raw);
    await until(() => c.frames.length === want.length);
    expect(c.frames).toEqual(want);
    await expect(client(`${s.wsUrl}/ws/blzeth@depth`)).rejects.toThrow(/404/);
  });

  it('REST snapshots are the reference book, in the venue format, with limits, weights and errors as documented', async () => {
    const { server: s } = await start(SPOT4, 'binance-spot', { pauseWhenIdle: false });
    await s.ended;
    const ref = s.reference('NKNUSDT')!;
    const b = ref.book;
    const snap = await get(`${s.restUrl}/api/v3/depth?symbol=NKNUSDT&limit=5`);
    expect(snap.status).toBe(200);
    expect(snap.headers.get('x-mbx-used-weight-1m')).toBe('5');
    expect(JSON.parse(snap.body)).toEqual({
      lastUpdateId: ref.seq,
      bids: b.top(5).bids.map(([p, q]) => [formatFixed(p, b.priceScale), formatFixed(q, b.sizeScale)]),
      asks: b.top(5).asks.map(([p, q]) => [formatFixed(p, b.priceScale), formatFixed(q, b.sizeScale)]),
    });
    // Larger limits are capped at 5000 on spot; the whole book fits.
    const all = JSON.parse((await get(`${s.restUrl}/api/v3/depth?symbol=NKNUSDT&limit=9000`)).body) as { bids: unknown[]; asks: unknown[] };
    expect([all.bids.length, all.asks.length]).toEqual([b.bids.count, b.asks.count]);
    expect(s.restLog.map((l) => l.limit)).toEqual([5, 5000]);
    const bad = await get(`${s.restUrl}/api/v3/depth?symbol=ETHUSDT`);
    expect([bad.status, JSON.parse(bad.body)]).toEqual([400, { code: -1121, msg: 'Invalid symbol.' }]);
    const none = await get(`${s.restUrl}/api/v3/depth`);
    expect([none.status, (JSON.parse(none.body) as { code: number }).code]).toEqual([400, -1102]);
    expect((await get(`${s.restUrl}/api/v1/ticker`)).status).toBe(404);
  });

  it('USD-M: limits outside the documented set are refused, E/T are added, weight 20 at 1000', async () => {
    const { server: s } = await start(USDM4, 'binance-usdm', { pauseWhenIdle: false });
    await s.ended;
    const sym = s.bookSymbolList()[0]!;
    const bad = await get(`${s.restUrl}/fapi/v1/depth?symbol=${sym}&limit=7`);
    expect([bad.status, (JSON.parse(bad.body) as { code: number }).code]).toEqual([400, -1130]);
    const ok = await get(`${s.restUrl}/fapi/v1/depth?symbol=${sym}&limit=1000`);
    const body = JSON.parse(ok.body) as { lastUpdateId: number; E: number; T: number };
    expect(body.lastUpdateId).toBe(s.reference(sym)!.seq);
    expect(body.E).toBe(s.reference(sym)!.lastExchTsMs);
    expect(body.T).toBe(body.E);
    expect(ok.headers.get('x-mbx-used-weight-1m')).toBe('20');
  });

  it('a snapshot asked before the recording made the reference live waits for it', async () => {
    const { server: s, records } = await start(SPOT4, 'binance-spot');
    // Nobody subscribed yet: the timeline has not moved, the reference is not live.
    expect(s.reference('RUNEEUR')).toBeUndefined();
    const order: string[] = [];
    const answer = get(`${s.restUrl}/api/v3/depth?symbol=RUNEEUR&limit=1000`).then((r) => {
      order.push('answered');
      return r;
    });
    await new Promise((resolve) => setImmediate(resolve));
    order.push('subscribing');
    await client(`${s.wsUrl}/stream?streams=runeeur@depth@100ms`);
    const res = await answer;
    expect(order).toEqual(['subscribing', 'answered']);
    const recordedSnap = records.find((r) => r.dir === 'http' && r.url.includes('RUNEEUR'))!;
    const id = (JSON.parse(res.body) as { lastUpdateId: number }).lastUpdateId;
    expect(id).toBeGreaterThanOrEqual((JSON.parse(recordedSnap.raw) as { lastUpdateId: number }).lastUpdateId);
  });

  it('frame faults are exact transformations of the recorded sequence', async () => {
    const { server: s, records } = await start(SPOT4, 'binance-spot', {
      faults: [
        { match: { symbol: 'NKNUSDT', channel: 'depth', index: 3 }, fault: { kind: 'drop' } },
        { match: { symbol: 'NKNUSDT', channel: 'depth', index: 5 }, fault: { kind: 'duplicate' } },
        { match: { symbol: 'NKNUSDT', channel: 'depth', index: 7 }, fault: { kind: 'reorder', after: 1 } },
        { match: { symbol: 'NKNUSDT', channel: 'depth', index: 9 }, fault: { kind: 'corrupt', how: 'truncate' } },
      ],
    });
    const c = await client(`${s.wsUrl}/stream?streams=nknusdt@depth@100ms`);
    await s.ended;
    const rec = recorded(records, 'nknusdt@depth@100ms');
    const want = [rec[0], rec[1], rec[2], rec[4], rec[5], rec[5], rec[6], rec[8], rec[7], rec[9]!.slice(0, Math.floor(rec[9]!.length / 2)), ...rec.slice(10)];
    await until(() => c.frames.length === want.length);
    expect(c.frames).toEqual(want);
    expect(s.faults.log.map((f) => [f.kind, f.index])).toEqual([
      ['drop', 3],
      ['duplicate', 5],
      ['reorder', 7],
      ['corrupt', 9],
    ]);
    expect(s.faults.armed).toBe(0);
  });

  it('a stalled client gets neither frames nor pongs; a closed one is closed with the given code', async () => {
    const { server: s } = await start(SPOT4, 'binance-spot', {
      faults: [
        { match: { client: 1, symbol: 'NKNUSDT', channel: 'depth', index: 2 }, fault: { kind: 'stall' } },
        // The timeline stopped after index 2 (nobody else received): client 2's next frame is index 3.
        { match: { client: 2, symbol: 'NKNUSDT', channel: 'depth', index: 3 }, fault: { kind: 'close', code: 1001 } },
      ],
    });
    const stalled = await client(`${s.wsUrl}/stream?streams=nknusdt@depth@100ms`);
    await until(() => s.clients()[0]?.stalled === true);
    const before = stalled.frames.length;
    let pongs = 0;
    stalled.ws.on('pong', () => pongs++);
    stalled.ws.ping();
    // The timeline waits for a receiving client: a second one comes, and is closed by its fault.
    const closed = await client(`${s.wsUrl}/stream?streams=nknusdt@depth@100ms`);
    const code = await new Promise<number>((resolve) => closed.ws.once('close', (c) => resolve(c)));
    expect(code).toBe(1001);
    expect(stalled.frames).toHaveLength(before);
    expect(before).toBe(2);
    expect(pongs).toBe(0);
  });

  it('paces frames by recorded time divided by speed (never early)', async () => {
    const { server: s, records } = await start(SPOT4, 'binance-spot', { speed: 100 });
    const t0 = performance.now();
    await client(`${s.wsUrl}/stream?streams=nknusdt@depth@100ms`);
    await s.ended;
    const spanMs = Number(records.at(-1)!.recvTsNs - records[0]!.recvTsNs) / 1e6;
    expect(performance.now() - t0).toBeGreaterThanOrEqual(spanMs / 100);
  });

  it('backpressure: a client that stops reading pauses the replay with bounded unwritten bytes; it resumes when the client reads', async () => {
    const rel = 'binance/spot_BTCUSDT_2024-08-08T2354Z_10min.hftbacktest.ndjson.gz';
    const highWaterBytes = 256 * 1024;
    const { server: s, records } = await start(rel, 'binance-spot', { highWaterBytes });
    const c = await client(`${s.wsUrl}/stream?streams=btcusdt@depth@100ms/btcusdt@bookTicker/btcusdt@trade`);
    c.ws.pause();
    await until(() => s.pausedFor().includes('backpressure'));
    const maxFrame = Math.max(...records.map((r) => r.raw.length));
    expect(s.clients()[0]!.outstandingBytes).toBeLessThanOrEqual(highWaterBytes + maxFrame);
    const at = s.position.sent;
    expect(at).toBeLessThan(s.position.total);
    c.ws.resume();
    await until(() => s.position.sent > at);
    // Everything sent so far arrives, in recorded order.
    const sent = s.clients()[0]!.framesSent;
    await until(() => c.frames.length >= sent);
    const recv = records.filter((r) => r.dir === 'recv').map((r) => r.raw);
    expect(c.frames.slice(0, sent)).toEqual(recv.slice(0, sent));
  });
});
