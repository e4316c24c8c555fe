import { describe, expect, it } from 'vitest';
import { loadRecording } from '../../../src-main/engine/replay/recording.ts';
import { bitmex, bitmexExpiry, bitmexInstrument, lastFridayYymmdd } from '../../../src-main/engine/venues/bitmex/bitmexSpec.ts';
import { VENUES, venueForUrl } from '../../../src-main/engine/venues/registry.ts';
import { dataPath } from '../../support/data.ts';
import { sessionHarness } from '../../support/sessionHarness.ts';

const REL = 'bitmex/cryptofeed_orderBookL2_2021-07-22.ndjson';

describe('bitmexInstrument', () => {
  it('names the three contracts of the brief', () => {
    expect(bitmexInstrument('XBTUSD')).toMatchObject({ symbol: 'BTC-USD-PERP-INV', kind: 'perpetual', base: 'BTC', quote: 'USD', inverse: true });
    expect(bitmexInstrument('LINKUSDT')).toMatchObject({ symbol: 'LINK-USDT-PERP', kind: 'perpetual', base: 'LINK', quote: 'USDT', inverse: false });
    expect(bitmexInstrument('XBTM21')).toMatchObject({ symbol: 'BTC-USD-210625-INV', kind: 'future', inverse: true });
  });

  it('derives expiries from the month code: the last Friday of the month', () => {
    // June 2021 ends on a Wednesday (30th): last Friday the 25th. September 2021 ends on a Thursday.
    expect(bitmexExpiry('M21')).toBe('210625');
    expect(bitmexExpiry('U21')).toBe('210924');
    // A month ending on a Friday: December 2021 (31st).
    expect(bitmexExpiry('Z21')).toBe('211231');
    expect(bitmexExpiry('H25')).toBe('250328');
    expect(lastFridayYymmdd(2024, 2)).toBe('240223');
    expect(bitmexExpiry('A21')).toBeUndefined();
  });

  it('names XBT-quoted and USDT futures, spot pairs, and keeps quanto contracts by venue name', () => {
    expect(bitmexInstrument('ADAM21')).toMatchObject({ symbol: 'ADA-BTC-210625', kind: 'future', quote: 'BTC', inverse: false });
    expect(bitmexInstrument('XRPU21').symbol).toBe('XRP-BTC-210924');
    expect(bitmexInstrument('XBTUSDTM21').symbol).toBe('BTC-USDT-210625');
    expect(bitmexInstrument('XBTEUR').symbol).toBe('BTC-EUR-PERP-INV');
    expect(bitmexInstrument('XBT_USDT')).toMatchObject({ symbol: 'BTC-USDT', kind: 'spot' });
    for (const quanto of ['ETHUSD', 'BCHUSD', 'ETHUSDM21']) expect(bitmexInstrument(quanto)).toMatchObject({ symbol: quanto, inverse: false });
    expect(bitmexInstrument('XBT7D_U105').symbol).toBe('XBT7D_U105');
  });
});

describe('BitMEX spec and session frames', () => {
  it('is registered and claims the realtime endpoints (ws. and the www. host of the 2021 recordings)', () => {
    expect(VENUES.get('bitmex')).toBe(bitmex);
    expect(venueForUrl('wss://www.bitmex.com/realtime')).toBe(bitmex);
    expect(bitmex.recognizes!('wss://ws.bitmex.com/realtime')).toBe(true);
    expect(bitmex.recognizes!('wss://ws.bitmex.com/realtimePlatform')).toBe(true);
    expect(bitmex.recognizes!('https://www.bitmex.com/api/v1/orderBook/L2')).toBe(false);
  });

  it('subscribes orderBookL2 and trade per symbol in one frame; keeps alive with "ping"', () => {
    const h = sessionHarness(bitmex, ['XBTUSD', 'LINKUSDT']);
    h.session.onOpen();
    expect(h.sent).toEqual(['{"op":"subscribe","args":["orderBookL2:XBTUSD","trade:XBTUSD","orderBookL2:LINKUSDT","trade:LINKUSDT"]}']);
    expect(h.session.keepalive?.frame()).toBe('ping');
    h.feed(['pong']);
    expect(h.notices).toEqual([]);
  });

  it('after an id the book does not hold, unsubscribes and subscribes that symbol only', async () => {
    const records = (await loadRecording(dataPath(REL))).filter((r) => r.dir === 'recv');
    // Lose the first insert whose id a later update or delete names.
    const parsed = records.map((r) => JSON.parse(r.raw) as { table?: string; action?: string; data?: { symbol: string; id: number }[] });
    const insertAt = parsed.findIndex((m, i) => m.table === 'orderBookL2' && m.action === 'insert' && m.data!.length === 1 && parsed.slice(i + 1).some((n) => n.table === 'orderBookL2' && (n.action === 'update' || n.action === 'delete') && n.data!.some((d) => d.id === m.data![0]!.id)));
    const symbol = parsed[insertAt]!.data![0]!.symbol;
    const h = sessionHarness(bitmex);
    h.feed(records.filter((_r, i) => i !== insertAt).map((r) => r.raw));
    expect(h.sent).toEqual([`{"op":"unsubscribe","args":["orderBookL2:${symbol}"]}`, `{"op":"subscribe","args":["orderBookL2:${symbol}"]}`]);
    expect(h.books.get(symbol)!.state).toBe('resyncing');
    for (const [sym, sb] of h.books) if (sym !== symbol && sb.counters.messages > 0) expect(sb.state, sym).toBe('live');
  });
});
