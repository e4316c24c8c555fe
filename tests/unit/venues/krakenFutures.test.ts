import { describe, expect, it } from 'vitest';
import { loadRecording } from '../../../src-main/engine/replay/recording.ts';
import { krakenFuturesContinuity } from '../../../src-main/engine/venues/kraken/krakenFuturesSession.ts';
import { krakenFutures, krakenFuturesInstrument } from '../../../src-main/engine/venues/kraken/krakenFuturesSpec.ts';
import { VENUES, venueForUrl } from '../../../src-main/engine/venues/registry.ts';
import { formatScaled } from '../../../src-shared/model/decimal.ts';
import { dataPath } from '../../support/data.ts';
import { sessionHarness } from '../../support/sessionHarness.ts';

const REL = 'kraken/cryptofeed_futures_v1_book_2021-07-22.ndjson';

async function frames(): Promise<string[]> {
  return (await loadRecording(dataPath(REL))).filter((r) => r.dir === 'recv').map((r) => r.raw);
}

describe('krakenFuturesInstrument and spec', () => {
  it('names perpetuals and dated futures, inverse and linear (docs/NORMALIZATION.md)', () => {
    expect(krakenFuturesInstrument('PI_XBTUSD')).toMatchObject({ symbol: 'BTC-USD-PERP-INV', base: 'BTC', quote: 'USD', kind: 'perpetual', inverse: true });
    expect(krakenFuturesInstrument('PF_XBTUSD')).toMatchObject({ symbol: 'BTC-USD-PERP', kind: 'perpetual', inverse: false });
    expect(krakenFuturesInstrument('FI_XBTUSD_210924')).toMatchObject({ symbol: 'BTC-USD-210924-INV', kind: 'future', inverse: true });
    expect(krakenFuturesInstrument('FF_ETHUSD_210924')).toMatchObject({ symbol: 'ETH-USD-210924', kind: 'future', inverse: false });
    expect(krakenFuturesInstrument('pi_ethusd')).toMatchObject({ venueSymbol: 'PI_ETHUSD', symbol: 'ETH-USD-PERP-INV' });
    // An unknown product form keeps its id rather than a guessed name.
    expect(krakenFuturesInstrument('IN_XBTUSD').symbol).toBe('IN_XBTUSD');
  });

  it('is registered, claims futures.kraken.com and nothing of spot; covers the whole book', () => {
    expect(VENUES.get('kraken-futures')).toBe(krakenFutures);
    expect(venueForUrl('wss://futures.kraken.com/ws/v1')).toBe(krakenFutures);
    expect(krakenFutures.recognizes!('wss://ws.kraken.com')).toBe(false);
    expect(krakenFutures.depthCap).toBe(0);
    expect(krakenFutures.plan(['pi_xbtusd', 'PI_XBTUSD', 'FI_ETHUSD_211231'])).toEqual([
      { id: 'kraken-futures#0', url: 'wss://futures.kraken.com/ws/v1', venueSymbols: ['PI_XBTUSD', 'FI_ETHUSD_211231'] },
    ]);
  });

  it('applies the seq rule: +1 chains, equal is a duplicate, lower a regress, a jump a gap', () => {
    expect(krakenFuturesContinuity(11, 10)).toBe('ok');
    expect(krakenFuturesContinuity(10, 10)).toBe('duplicate');
    expect(krakenFuturesContinuity(9, 10)).toBe('regress');
    expect(krakenFuturesContinuity(12, 10)).toBe('gap');
  });
});

describe('Kraken Futures session', () => {
  it('subscribes heartbeat, book and trade (book doc layout); the keepalive is WebSocket pings from the connection, not a frame of the session', () => {
    const h = sessionHarness(krakenFutures, ['PI_XBTUSD', 'PF_XBTUSD']);
    h.session.onOpen();
    expect(h.sent.map((s) => JSON.parse(s))).toEqual([
      { event: 'subscribe', feed: 'heartbeat' },
      { event: 'subscribe', feed: 'book', product_ids: ['PI_XBTUSD', 'PF_XBTUSD'] },
      { event: 'subscribe', feed: 'trade', product_ids: ['PI_XBTUSD', 'PF_XBTUSD'] },
    ]);
    expect(h.session.keepalive).toBeUndefined();
    // Well inside the documented "a ping request at least every 60 seconds".
    expect(krakenFutures.limits.pingIntervalMs).toBeLessThan(60_000);
  });

  it('resync unsubscribes and subscribes that product only; its deltas wait for the fresh snapshot', async () => {
    const all = await frames();
    const h = sessionHarness(krakenFutures);
    h.feed(all.slice(0, 3000));
    const eth = h.books.get('PI_ETHUSD')!;
    expect(eth.state).toBe('live');
    h.session.resync('PI_ETHUSD', 'manual');
    expect(h.sent.map((s) => JSON.parse(s))).toEqual([
      { event: 'unsubscribe', feed: 'book', product_ids: ['PI_ETHUSD'] },
      { event: 'subscribe', feed: 'book', product_ids: ['PI_ETHUSD'] },
    ]);
    expect(eth.state).toBe('resyncing');
    const applied = eth.counters.applied;
    h.feed(all.slice(3000));
    expect(eth.counters.applied).toBe(applied);
    for (const [product, sb] of h.books) if (product !== 'PI_ETHUSD') expect(sb.state, product).toBe('live');
    // info, subscribed and heartbeat-free control frames are never warnings.
    expect(h.notices.filter((n) => n.level !== 'info')).toEqual([]);
  });

  it('normalizes the recorded trades: uid as id, taker side, exact decimals; the trade_snapshot history is not published', async () => {
    const h = sessionHarness(krakenFutures);
    h.feed(await frames());
    expect(h.trades.map((t) => [t.symbol, t.tradeId, t.takerSide, formatScaled(t.price, t.priceScale), formatScaled(t.size, t.sizeScale), t.exchTsMs])[0]).toEqual([
      'PI_LTCUSD', 'e2429e31-8b9d-4195-900e-fd42be2dec89', 'buy', '119.44', '320', 1626994929946,
    ]);
    expect(h.trades).toHaveLength(3);
  });

  it('reports the documented error and subscribed_failed answers', () => {
    const h = sessionHarness(krakenFutures);
    // Book doc "Response Error" example, and a subscribed_failed in the book doc's answer layout.
    h.feed(['{"event":"error","message":"Invalid product id"}', '{"event":"subscribed_failed","feed":"book","product_ids":["PF_XBTUSD"]}']);
    expect(h.notices.map((n) => [n.level, n.venueSymbol])).toEqual([['error', undefined], ['error', 'PF_XBTUSD']]);
    expect(h.books.get('PF_XBTUSD')!.anomalies.map((a) => a.kind)).toEqual(['subscribe-error']);
  });
});
