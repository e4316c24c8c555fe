/**
 * The Binance ReplayProtocol on its own: stream names of the real recordings, subscribe frames,
 * REST routes with the documented limits and weights, and snapshot bodies that the engine's own
 * Binance session loads back into exactly the reference book.
 */
import { describe, expect, it } from 'vitest';
import { formatScaled } from '../../../src-shared/model/decimal.ts';
import { loadRecording } from '../../../src-main/engine/replay/recording.ts';
import { binanceChannel, binanceReplay } from '../../../src-main/engine/venues/binance/binanceReplay.ts';
import { binanceCoinm, binanceSpot, binanceUsdm } from '../../../src-main/engine/venues/binance/binanceSpec.ts';
import type { SnapshotAsk } from '../../../src-main/engine/replay/replayProtocol.ts';
import { VerifyRun } from '../../../src-main/engine/verify/verify.ts';
import type { SymbolBook } from '../../../src-main/engine/sync/symbolBook.ts';
import { dataPath } from '../../support/data.ts';
import { sessionHarness } from '../../support/sessionHarness.ts';

const spot = binanceReplay(binanceSpot, 'spot');
const usdm = binanceReplay(binanceUsdm, 'usdm');
const coinm = binanceReplay(binanceCoinm, 'coinm');

function ask(p: typeof spot, url: string): SnapshotAsk {
  const r = p.rest!.route(new URL(url, 'http://127.0.0.1'));
  if (r === undefined || 'status' in r) throw new Error(`not a snapshot ask: ${JSON.stringify(r)}`);
  return r;
}

describe('Binance replay protocol', () => {
  it('channel families: every diff cadence is depth, trade and aggTrade are trade', () => {
    expect(['depth', 'depth@100ms', 'depth@0ms', 'depth@500ms'].map(binanceChannel)).toEqual(['depth', 'depth', 'depth', 'depth']);
    expect(['depth5', 'depth20@100ms', 'trade', 'aggTrade', 'bookTicker', 'kline_1m'].map(binanceChannel)).toEqual(['depth5', 'depth20', 'trade', 'trade', 'bookTicker', 'kline_1m']);
  });

  it('names the symbol and channel of every recorded frame of the 10-symbol capture', async () => {
    const records = await loadRecording(dataPath('binance/cryptofeed_spot_10sym_2021-04-05_120s.ndjson'));
    const counts = new Map<string, number>();
    for (const r of records) {
      if (r.dir !== 'recv') continue;
      const t = spot.topicOf(r.raw);
      expect(t, r.raw.slice(0, 80)).toBeDefined();
      counts.set(t!.channel, (counts.get(t!.channel) ?? 0) + 1);
    }
    // PROVENANCE.md: depth@100ms 4,709, bookTicker 5,408, aggTrade 1,240.
    expect(Object.fromEntries(counts)).toEqual({ depth: 4709, bookTicker: 5408, trade: 1240 });
    expect(spot.topicOf('{"result":null,"id":1}')).toBeUndefined();
  });

  it('the engine plan URL subscribes exactly its three streams per symbol', () => {
    const [plan] = binanceSpot.plan(['ZILUSDT', 'MANAUSDT'], 'ws://127.0.0.1:1');
    const r = spot.connect(new URL(plan!.url));
    expect('topics' in r && r.topics).toEqual([
      { symbol: 'ZILUSDT', channel: 'depth' },
      { symbol: 'ZILUSDT', channel: 'bookTicker' },
      { symbol: 'ZILUSDT', channel: 'trade' },
      { symbol: 'MANAUSDT', channel: 'depth' },
      { symbol: 'MANAUSDT', channel: 'bookTicker' },
      { symbol: 'MANAUSDT', channel: 'trade' },
    ]);
    expect(usdm.connect(new URL(binanceUsdm.plan(['BTCUSDT'], 'ws://127.0.0.1:1')[0]!.url))).toMatchObject({ topics: [{ symbol: 'BTCUSDT', channel: 'depth' }, {}, {}] });
    expect(spot.connect(new URL('ws://127.0.0.1:1/ws/btcusdt@depth'))).toMatchObject({ refuse: { status: 404 } });
  });

  it('answers SUBSCRIBE/UNSUBSCRIBE with {"result":null,"id"} and bad requests with Binance error objects', () => {
    expect(spot.clientFrame('{"method":"SUBSCRIBE","params":["btcusdt@depth@100ms"],"id":7}', [])).toEqual({
      subscribe: [{ symbol: 'BTCUSDT', channel: 'depth' }],
      replies: ['{"result":null,"id":7}'],
    });
    expect(spot.clientFrame('{"method":"UNSUBSCRIBE","params":["btcusdt@trade"],"id":"a1"}', [])).toEqual({
      unsubscribe: [{ symbol: 'BTCUSDT', channel: 'trade' }],
      replies: ['{"result":null,"id":"a1"}'],
    });
    expect(spot.clientFrame('{"method":"LIST_SUBSCRIPTIONS","id":3}', [{ symbol: 'BTCUSDT', channel: 'depth' }]).replies).toEqual(['{"result":["btcusdt@depth"],"id":3}']);
    expect(spot.clientFrame('{"method":"PING","id":4}', []).replies).toEqual(['{"error":{"code":2,"msg":"Invalid request: unknown method \\"PING\\""},"id":4}']);
    expect(JSON.parse(spot.clientFrame('not json', []).replies![0]!)).toMatchObject({ error: { code: 3 } });
    expect(spot.clientFramesPerSecond).toBe(5);
    expect(usdm.clientFramesPerSecond).toBe(10);
  });

  it('REST routes: paths from the venue specs, documented defaults, caps and weights', () => {
    expect(ask(spot, '/api/v3/depth?symbol=BTCUSDT')).toEqual({ symbol: 'BTCUSDT', limit: 100, weight: 5 });
    expect([500, 1000, 5000, 7000].map((l) => ask(spot, `/api/v3/depth?symbol=BTCUSDT&limit=${l}`)).map((a) => [a.limit, a.weight])).toEqual([
      [500, 25],
      [1000, 50],
      [5000, 250],
      [5000, 250],
    ]);
    expect(ask(usdm, '/fapi/v1/depth?symbol=BTCUSDT')).toEqual({ symbol: 'BTCUSDT', limit: 500, weight: 10 });
    expect([5, 50, 100, 1000].map((l) => ask(coinm, `/dapi/v1/depth?symbol=BTCUSD_PERP&limit=${l}`).weight)).toEqual([2, 2, 5, 20]);
    expect(usdm.rest!.route(new URL('http://x/fapi/v1/depth?symbol=BTCUSDT&limit=30'))).toMatchObject({ status: 400 });
    expect(spot.rest!.route(new URL('http://x/fapi/v1/depth?symbol=BTCUSDT'))).toBeUndefined();
    // The engine's own snapshot request is what the replay serves.
    expect(ask(spot, binanceSpot.rest!.snapshotPath('BTCUSDT')).weight).toBe(binanceSpot.rest!.snapshotWeight);
    expect(ask(usdm, binanceUsdm.rest!.snapshotPath('BTCUSDT')).weight).toBe(binanceUsdm.rest!.snapshotWeight);
  });

  it('a snapshot body of the reference book loads back, through the Binance session, into the same book', async () => {
    const file = 'binance/spot_BTCUSDT_2024-08-08T2354Z_10min.hftbacktest.ndjson.gz';
    const records = await loadRecording(dataPath(file));
    let ref: SymbolBook | undefined;
    const run = new VerifyRun(file, { venue: 'binance-spot', onApplied: (sb) => (ref = sb) });
    // Half of the capture: the reference is live and has grown past its 1000-level snapshot.
    for (const r of records.slice(0, records.length / 2)) run.handle(r);
    const body = spot.rest!.snapshotBody(ref!, 5000);
    const h = sessionHarness(binanceSpot, ['BTCUSDT']);
    h.session.onSnapshot!('BTCUSDT', body, 0n);
    const sb = h.books.get('BTCUSDT')!;
    // Loaded and waiting for the bridging diff (no buffered diffs in this harness).
    expect(sb.seq).toBe(ref!.seq);
    const a = sb.book;
    const b = ref!.book;
    expect([a.bids.count, a.asks.count]).toEqual([b.bids.count, b.asks.count]);
    const text = (book: typeof a, side: 'bids' | 'asks') => book.top(5000)[side].map(([p, q]) => `${formatScaled(p, book.priceScale)}@${formatScaled(q, book.sizeScale)}`);
    expect(text(a, 'bids')).toEqual(text(b, 'bids'));
    expect(text(a, 'asks')).toEqual(text(b, 'asks'));
    expect(JSON.parse(body)).toMatchObject({ lastUpdateId: ref!.seq });
    expect(Object.keys(JSON.parse(usdm.rest!.snapshotBody(ref!, 5)))).toEqual(['lastUpdateId', 'E', 'T', 'bids', 'asks']);
  });
});
