import { describe, expect, it } from 'vitest';
import { crc32Text, toSigned32 } from '../../../src-shared/model/crc32.ts';
import { formatScaled } from '../../../src-shared/model/decimal.ts';
import { loadRecording } from '../../../src-main/engine/replay/recording.ts';
import { SymbolBook } from '../../../src-main/engine/sync/symbolBook.ts';
import { okxBookChecksum, okxBookChecksumText, okxLevelsChecksum } from '../../../src-main/engine/venues/okx/okxChecksum.ts';
import { okxContinuity } from '../../../src-main/engine/venues/okx/okxSession.ts';
import { okx, okxInstrument } from '../../../src-main/engine/venues/okx/okxSpec.ts';
import { VENUES, venueForUrl } from '../../../src-main/engine/venues/registry.ts';
import { dataPath } from '../../support/data.ts';
import { expectSameOutcome, sessionHarness } from '../../support/sessionHarness.ts';

const lv = (price: string, size: string) => ({ price, size });

describe('OKX checksum', () => {
  // The two examples of the order book channel doc; values computed with zlib (venues.md section 6).
  const bids1 = [lv('3366.1', '7'), lv('3366', '6')];
  const asks1 = [lv('3366.8', '9'), lv('3368', '8')];
  const bids2 = [lv('3366.1', '7')];
  const asks2 = [lv('3366.8', '9'), lv('3368', '8'), lv('3372', '8')];

  it('interleaves bid/ask levels and compares as signed 32-bit (doc example 1)', () => {
    expect(okxLevelsChecksum(bids1, asks1)).toBe(-1881014294);
  });

  it('continues with the longer side alone when the other runs out (doc example 2)', () => {
    expect(okxLevelsChecksum(bids2, asks2)).toBe(831078360);
  });

  it('renders a local book back to the exchange strings', () => {
    const sb = new SymbolBook(okxInstrument('BTC-USDT'), {}, () => 0);
    for (const l of bids1) sb.setLevel(true, l.price, l.size);
    for (const l of asks1) sb.setLevel(false, l.price, l.size);
    expect(okxBookChecksumText(sb.book)).toBe('3366.1:7:3366.8:9:3366:6:3368:8');
    expect(okxBookChecksum(sb.book)).toBe(-1881014294);
  });

  it('the kept per-level state gives the checksum of the whole text after every change of a real stream, down to an empty book', async () => {
    // The incremental hash (texts and per-level states reused from the last checksum) against
    // a full CRC of the rendered text, after each update of the busiest recorded instrument,
    // then while its levels are removed best first (shifting every level up), then side by side.
    const recs = await loadRecording(dataPath('okx/cryptofeed_books-l2-tbt_2022-02-27.ndjson'));
    const frames = recs.filter((r) => r.dir === 'recv' && r.raw.includes('"books-l2-tbt"') && r.raw.includes('"data"')).map((r) => JSON.parse(r.raw) as { arg: { instId: string }; action: string; data: { asks: string[][]; bids: string[][] }[] });
    const counts = new Map<string, number>();
    for (const f of frames) counts.set(f.arg.instId, (counts.get(f.arg.instId) ?? 0) + 1);
    const instId = [...counts].sort((a, b) => b[1] - a[1])[0]![0];
    const sb = new SymbolBook(okxInstrument(instId), {}, () => 0);
    const full = () => toSigned32(crc32Text(okxBookChecksumText(sb.book)));
    let checked = 0;
    for (const f of frames) {
      if (f.arg.instId !== instId) continue;
      if (f.action === 'snapshot') sb.book.clear();
      for (const [p, q] of f.data[0]!.bids) sb.setLevel(true, p!, q!);
      for (const [p, q] of f.data[0]!.asks) sb.setLevel(false, p!, q!);
      expect(okxBookChecksum(sb.book)).toBe(full());
      checked++;
    }
    expect(checked).toBeGreaterThan(300);
    while (sb.book.bids.count > 0) {
      sb.setLevel(true, formatScaled(sb.book.bids.priceAt(0), sb.book.priceScale), '0');
      expect(okxBookChecksum(sb.book)).toBe(full());
    }
    while (sb.book.asks.count > 0) {
      sb.setLevel(false, formatScaled(sb.book.asks.priceAt(sb.book.asks.count - 1), sb.book.priceScale), '0');
      expect(okxBookChecksum(sb.book)).toBe(full());
    }
    expect(okxBookChecksum(sb.book)).toBe(0);
  });
});

describe('okxContinuity', () => {
  it('follows the doc example: snapshot(-1 -> 10), update(10 -> 15), empty(15 -> 15), reset(15 -> 3), update(3 -> 5)', () => {
    expect(okxContinuity(10, 15, 10)).toBe('ok');
    expect(okxContinuity(15, 15, 15)).toBe('ok');
    expect(okxContinuity(15, 3, 15)).toBe('ok');
    expect(okxContinuity(3, 5, 3)).toBe('ok');
  });

  it('tells a repeat of the last message, an older message and a hole apart', () => {
    expect(okxContinuity(3, 5, 5)).toBe('duplicate');
    expect(okxContinuity(10, 15, 20)).toBe('regress');
    expect(okxContinuity(20, 27, 15)).toBe('gap');
  });
});

describe('okxInstrument', () => {
  it('names spot, perpetuals, futures and options', () => {
    const n = (id: string) => {
      const i = okxInstrument(id);
      return [i.symbol, i.kind, i.inverse, i.base, i.quote];
    };
    expect(n('BTC-USDT')).toEqual(['BTC-USDT', 'spot', false, 'BTC', 'USDT']);
    expect(n('BTC-USDT-SWAP')).toEqual(['BTC-USDT-PERP', 'perpetual', false, 'BTC', 'USDT']);
    expect(n('BTC-USD-SWAP')).toEqual(['BTC-USD-PERP-INV', 'perpetual', true, 'BTC', 'USD']);
    expect(n('BTC-USD-220527')).toEqual(['BTC-USD-220527-INV', 'future', true, 'BTC', 'USD']);
    expect(n('BTC-USDT-220527')).toEqual(['BTC-USDT-220527', 'future', false, 'BTC', 'USDT']);
    expect(n('ETH-USD-220624-20000-C')).toEqual(['ETH-220624-20000-C', 'option', true, 'ETH', 'USD']);
    expect(okxInstrument('BTC-USD-220325-40000-P').symbol).toBe('BTC-220325-40000-P');
  });
});

describe('OKX spec', () => {
  it('is registered and claims OKX public URLs only', () => {
    expect(VENUES.get('okx')).toBe(okx);
    expect(venueForUrl('wss://ws.okx.com:8443/ws/v5/public')).toBe(okx);
    expect(venueForUrl('wss://wsaws.okx.com:8443/ws/v5/public')).toBe(okx);
    expect(okx.recognizes!('wss://ws.kraken.com')).toBe(false);
    expect(okx.snapshot).toBe('in-band');
    expect(okx.depthCap).toBe(400);
  });

  it('shards symbols under 30 book channels per connection', () => {
    const syms = Array.from({ length: 61 }, (_, i) => `C${i}-USDT`);
    const plans = okx.plan(syms);
    expect(plans.map((p) => p.venueSymbols.length)).toEqual([29, 29, 3]);
    expect(new Set(plans.flatMap((p) => p.venueSymbols)).size).toBe(61);
    expect(plans.every((p) => p.url === 'wss://ws.okx.com:8443/ws/v5/public')).toBe(true);
  });
});

describe('OKX session', () => {
  it('subscribes book and trades in one op and pings with the text "ping"', () => {
    const h = sessionHarness(okx, ['BTC-USDT', 'UNI-USD-SWAP']);
    h.session.onOpen();
    expect(h.sent.map((s) => JSON.parse(s))).toEqual([
      {
        op: 'subscribe',
        args: [
          { channel: 'books', instId: 'BTC-USDT' },
          { channel: 'trades', instId: 'BTC-USDT' },
          { channel: 'books', instId: 'UNI-USD-SWAP' },
          { channel: 'trades', instId: 'UNI-USD-SWAP' },
        ],
      },
    ]);
    expect(h.session.keepalive!.intervalMs).toBeLessThan(30_000);
    expect(h.session.keepalive!.frame()).toBe('ping');
    h.feed(['pong']);
    expect(h.notices).toEqual([]);
  });

  it('resync unsubscribes and subscribes that instrument only; its updates wait for the fresh snapshot', async () => {
    const frames = (await loadRecording(dataPath('okx/cryptofeed_books_2022-05-13.ndjson'))).filter((r) => r.dir === 'recv').map((r) => r.raw);
    const firstUpdate = frames.findIndex((f) => f.includes('"action":"update"'));
    const h = sessionHarness(okx);
    h.feed(frames.slice(0, firstUpdate));
    const btc = h.books.get('BTC-USDT')!;
    const uni = h.books.get('UNI-USD-SWAP')!;
    expect([btc.state, uni.state]).toEqual(['live', 'live']);
    h.session.resync('BTC-USDT', 'manual');
    expect(h.sent.map((s) => JSON.parse(s))).toEqual([
      { op: 'unsubscribe', args: [{ channel: 'books', instId: 'BTC-USDT' }] },
      { op: 'subscribe', args: [{ channel: 'books', instId: 'BTC-USDT' }] },
    ]);
    expect(btc.state).toBe('resyncing');
    expect(btc.counters.resyncs).toBe(1);
    const applied = btc.counters.applied;
    h.feed(frames.slice(firstUpdate));
    // The recording has no second BTC-USDT snapshot: its updates are not applied; UNI keeps verifying.
    expect(btc.counters.applied).toBe(applied);
    expect(btc.counters.messages).toBeGreaterThan(applied);
    expect(uni.state).toBe('live');
    expect(uni.counters.checksumOk).toBe(93);
    expect(uni.counters.checksumFailed).toBe(0);
  });

  it('scans updates and snapshots in place and builds exactly what parsing them builds, re-laid-out frames included', async () => {
    const frames = (await loadRecording(dataPath('okx/cryptofeed_books-l2-tbt_2022-02-27.ndjson'))).filter((r) => r.dir === 'recv').map((r) => r.raw);
    // The same real stream with every book message re-rendered by JSON.stringify with keys in another
    // order (scalars before the arrays): the in-place scanner declines those and the JSON path
    // takes them.
    const relaid = frames.map((f) => {
      if (!f.includes('"action":')) return f;
      const m = JSON.parse(f) as { arg: unknown; action: string; data: { asks: unknown; bids: unknown; [k: string]: unknown }[] };
      return JSON.stringify({ arg: m.arg, action: m.action, data: m.data.map(({ asks, bids, ...rest }) => ({ ...rest, bids, asks })) });
    });
    const { a } = expectSameOutcome(okx, frames, relaid, 400);
    expect(a.books.size).toBeGreaterThan(5);
    let checksums = 0;
    for (const sa of a.books.values()) {
      checksums += sa.counters.checksumOk;
      expect(sa.counters.checksumFailed).toBe(0);
    }
    expect(checksums).toBeGreaterThan(3000);
  });

  it('a level array that does not parse in an update invalidates that book only', async () => {
    const frames = (await loadRecording(dataPath('okx/cryptofeed_books_2022-05-13.ndjson'))).filter((r) => r.dir === 'recv').map((r) => r.raw);
    const i = frames.findIndex((f) => f.includes('"action":"update"') && f.includes('"instId":"BTC-USDT"') && f.includes('"bids":[['));
    const h = sessionHarness(okx);
    h.feed(frames.slice(0, i));
    const btc = h.books.get('BTC-USDT')!;
    expect(btc.state).toBe('live');
    // Corrupt the real frame: a bid entry loses its opening quote.
    h.feed([frames[i]!.replace('"bids":[["', '"bids":[[')]);
    expect(btc.state).toBe('resyncing');
    expect([...h.books.values()].filter((b) => b !== btc).every((b) => b.state === 'live')).toBe(true);
  });

  it('reports an error event as an error notice', () => {
    const h = sessionHarness(okx);
    // Error frame shape of the connect doc: {"event":"error","code":"60012","msg":"..."}.
    h.feed(['{"event":"error","code":"60012","msg":"Invalid request: {\\"op\\": \\"subscribe\\"}","connId":"a4d3ae55"}']);
    expect(h.notices).toHaveLength(1);
    expect(h.notices[0]!.level).toBe('error');
    expect(h.notices[0]!.message).toContain('60012');
  });
});
