/**
 * Bitfinex session behaviour the recordings do not contain, on the message layouts of the
 * documentation (https://docs.bitfinex.com/docs/ws-general: info codes 20051/20060/20061, error
 * events; https://docs.bitfinex.com/reference/ws-public-books). Book frames are taken from the
 * 2021-04-17 recording.
 */
import { describe, expect, it } from 'vitest';
import { loadRecording } from '../../../src-main/engine/replay/recording.ts';
import { bitfinex, bitfinexInstrument } from '../../../src-main/engine/venues/bitfinex/bitfinexSpec.ts';
import { BITFINEX_OB_CHECKSUM, BITFINEX_SEQ_ALL } from '../../../src-main/engine/venues/bitfinex/bitfinexSession.ts';
import { bitfinexReplay } from '../../../src-main/engine/venues/bitfinex/bitfinexReplay.ts';
import { venueForUrl } from '../../../src-main/engine/venues/registry.ts';
import { dataPath } from '../../support/data.ts';
import { sessionHarness } from '../../support/sessionHarness.ts';

/** The received frames of the 2021-04-17 recording, up to the first book updates. */
async function recordedFrames(): Promise<string[]> {
  const records = await loadRecording(dataPath('bitfinex/cryptofeed_ws2_2021-04-17.ndjson'));
  return records.filter((r) => r.dir === 'recv').map((r) => r.raw);
}

describe('Bitfinex session', () => {
  it('asks for SEQ_ALL + checksums, then subscribes P0 books and trades per symbol', () => {
    const h = sessionHarness(bitfinex, ['tBTCUSD', 'tETHUSD']);
    h.session.onOpen();
    expect(h.sent.map((f) => JSON.parse(f) as unknown)).toEqual([
      { event: 'conf', flags: BITFINEX_SEQ_ALL + BITFINEX_OB_CHECKSUM },
      { event: 'subscribe', channel: 'book', symbol: 'tBTCUSD', prec: 'P0', freq: 'F0', len: '100' },
      { event: 'subscribe', channel: 'trades', symbol: 'tBTCUSD' },
      { event: 'subscribe', channel: 'book', symbol: 'tETHUSD', prec: 'P0', freq: 'F0', len: '100' },
      { event: 'subscribe', channel: 'trades', symbol: 'tETHUSD' },
    ]);
  });

  it('info 20060 flags every live book stale; 20061 resubscribes every book; 20051 taints the connection', async () => {
    const frames = await recordedFrames();
    const h = sessionHarness(bitfinex);
    h.feed(frames);
    const books = [...h.books.values()];
    expect(books.length).toBe(7);
    expect(books.every((b) => b.state === 'live')).toBe(true);

    h.feed(['{"event":"info","code":20060,"msg":"Entering in Maintenance mode. Please pause any activity and resume after receiving the info message 20061 (it should take 120 seconds at most)."}']);
    expect(books.every((b) => b.state === 'stale')).toBe(true);

    h.sent.length = 0;
    h.feed(['{"event":"info","code":20061,"msg":"Maintenance ended. You can resume normal activity. It is advised to unsubscribe/subscribe again all channels."}']);
    expect(books.every((b) => b.state === 'resyncing' && b.anomalies.at(-1)!.kind === 'venue-reset')).toBe(true);
    const sent = h.sent.map((f) => JSON.parse(f) as { event: string; channel?: string });
    expect(sent.filter((f) => f.event === 'unsubscribe')).toHaveLength(7);
    expect(sent.filter((f) => f.event === 'subscribe' && f.channel === 'book')).toHaveLength(7);

    // Frames of the unsubscribed channels still in flight change nothing.
    const levelsBefore = books.map((b) => b.book.levelCount());
    h.feed(frames.slice(-200).filter((f) => f.startsWith('[')));
    expect(books.map((b) => b.book.levelCount())).toEqual(levelsBefore);

    const g = sessionHarness(bitfinex);
    g.feed(frames);
    g.feed(['{"event":"info","code":20051,"msg":"Stopping. Please try to reconnect"}']);
    expect([...g.books.values()].every((b) => b.state === 'resyncing')).toBe(true);
    expect(g.notices.some((n) => n.level === 'warn' && n.message.includes('20051'))).toBe(true);
  });

  it('a book subscription error is reported on that book', () => {
    const h = sessionHarness(bitfinex, ['tBTCUSD']);
    h.feed(['{"event":"error","msg":"symbol: invalid","code":10300,"channel":"book","symbol":"tNOPE"}']);
    expect(h.notices.some((n) => n.level === 'error' && n.message.includes('10300'))).toBe(true);
    expect(h.books.get('tNOPE')!.anomalies.map((a) => a.kind)).toEqual(['subscribe-error']);
  });
});

describe('bitfinexInstrument', () => {
  it('names pairs, colon pairs, UST and F0 perpetuals', () => {
    const n = (s: string) => {
      const i = bitfinexInstrument(s);
      return [i.symbol, i.base, i.quote, i.kind];
    };
    expect(n('tETHJPY')).toEqual(['ETH-JPY', 'ETH', 'JPY', 'spot']);
    expect(n('tCHZUST')).toEqual(['CHZ-USDT', 'CHZ', 'USDT', 'spot']);
    expect(n('tTESTBTC:TESTUSD')).toEqual(['TESTBTC-TESTUSD', 'TESTBTC', 'TESTUSD', 'spot']);
    expect(n('tBTCF0:USTF0')).toEqual(['BTC-USDT-PERP', 'BTC', 'USDT', 'perpetual']);
  });

  it('recognizes the recorded and the current endpoint', () => {
    expect(venueForUrl('wss://api.bitfinex.com/ws/2')?.id).toBe('bitfinex');
    expect(venueForUrl('wss://api-pub.bitfinex.com/ws/2')?.id).toBe('bitfinex');
    expect(bitfinex.plan(Array.from({ length: 13 }, (_, i) => `tA${i}USD`)).map((p) => p.venueSymbols.length)).toEqual([12, 1]);
  });
});

describe('Bitfinex replay protocol', () => {
  it('answers subscriptions with the recorded chanIds and renumbers the trailing sequence of every frame shape', async () => {
    const p = bitfinexReplay();
    const frames = await recordedFrames();
    const recordedSubscribed = frames.filter((f) => f.includes('"event":"subscribed"'));
    for (const f of frames) p.topicOf(f);
    // Every recorded `subscribed` answer is given again, field for field, to the same request.
    for (const f of recordedSubscribed) {
      const e = JSON.parse(f) as { channel: string; symbol: string };
      const r = p.clientFrame(JSON.stringify({ event: 'subscribe', channel: e.channel, symbol: e.symbol }), [], 1);
      expect(JSON.parse(r.replies![0]!)).toEqual(JSON.parse(f));
      expect(r.subscribe).toEqual([{ symbol: e.symbol, channel: e.channel }]);
    }
    const bookChan = (JSON.parse(recordedSubscribed.find((f) => f.includes('"channel":"book"'))!) as { chanId: number }).chanId;
    const book = frames.find((f) => f.startsWith(`[${bookChan},[`) && !f.startsWith(`[${bookChan},[[`))!;
    const hb = frames.find((f) => f.includes('"hb"'))!;
    expect(p.topicOf(book)?.channel).toBe('book');
    expect(p.sequenceFrame!(book, 7)).toBe(book.replace(/,\d+\]$/, ',7]'));
    expect(p.sequenceFrame!(hb, 8)).toBe(hb.replace(/,\d+\]$/, ',8]'));
    expect(p.sequenceFrame!('[5,"cs",-1504501796,41]', 9)).toBe('[5,"cs",-1504501796,9]');
    // Without SEQ_ALL a checksum frame carries no number: nothing to rewrite.
    expect(p.sequenceFrame!('[5,"cs",-1504501796]', 9)).toBeUndefined();
    expect(p.sequenceFrame!('{"event":"info","version":2}', 9)).toBeUndefined();
    expect(p.clientFrame('{"event":"subscribe","channel":"book","symbol":"tNOPE"}', [], 1).replies).toEqual(['{"event":"error","msg":"symbol: invalid","code":10300,"channel":"book","symbol":"tNOPE"}']);
  });
});
