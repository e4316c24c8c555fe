/**
 * The replay protocols of Deribit, Upbit, Bithumb, Hyperliquid and BitMEX against their own
 * venue sessions: every recorded book frame is routed to the symbol the session books it under,
 * and what the session sends on open subscribes exactly its book and trade streams.
 */
import { describe, expect, it } from 'vitest';
import { loadRecording } from '../../../src-main/engine/replay/recording.ts';
import { replayProtocol } from '../../../src-main/engine/replay/replayProtocols.ts';
import { topicKey } from '../../../src-main/engine/replay/replayProtocol.ts';
import type { VenueId } from '../../../src-shared/model/market.ts';
import { VENUES } from '../../../src-main/engine/venues/registry.ts';
import { dataPath } from '../../support/data.ts';
import { sessionHarness } from '../../support/sessionHarness.ts';

const FILES: [VenueId, string, string][] = [
  ['deribit', 'deribit/cryptofeed_book_raw_options_2021-04-05_120s.ndjson', 'book'],
  ['upbit', 'upbit/cryptofeed_orderbook+trade_2021-04-17.ndjson', 'orderbook'],
  ['hyperliquid', 'hyperliquid/BTC_l2Book_trades_2025-01-26.hftbacktest.ndjson', 'l2Book'],
  ['bitmex', 'bitmex/cryptofeed_orderBookL2_2021-07-22.ndjson', 'orderBookL2'],
];

describe('second-batch replay protocols', () => {
  for (const [venue, rel, bookChannel] of FILES) {
    it(`${venue}: each recorded book frame goes to the symbol the session applies it to`, async () => {
      const p = replayProtocol(venue)!;
      expect(p.venue).toBe(venue);
      expect(p.isBookChannel(bookChannel)).toBe(true);
      const h = sessionHarness(VENUES.get(venue)!);
      let routed = 0;
      for (const rec of await loadRecording(dataPath(rel))) {
        if (rec.dir !== 'recv') continue;
        const topic = p.topicOf(rec.raw);
        const before = new Map([...h.books].map(([s, sb]) => [s, sb.counters.messages]));
        h.feed([rec.raw]);
        const moved = [...h.books].filter(([s, sb]) => sb.counters.messages !== (before.get(s) ?? 0)).map(([s]) => s);
        if (moved.length > 0) {
          // A book message: routed to exactly the symbol whose book it moved, on the book channel.
          expect(topic, rec.raw.slice(0, 80)).toEqual({ symbol: moved[0], channel: bookChannel });
          expect(moved).toHaveLength(1);
          routed++;
        } else if (topic !== undefined) {
          expect(p.isBookChannel(topic.channel), rec.raw.slice(0, 80)).toBe(false);
        }
      }
      expect(routed).toBeGreaterThan(0);
    });
  }

  for (const [venue, symbols] of [
    ['deribit', ['BTC-PERPETUAL', 'ETH-9APR21-1950-C']],
    ['upbit', ['KRW-BTC', 'BTC-XTZ']],
    ['bithumb', ['KRW-BTC']],
    ['hyperliquid', ['BTC', 'ETH']],
    ['bitmex', ['XBTUSD', 'LINKUSDT']],
  ] as [VenueId, string[]][]) {
    it(`${venue}: the session's opening frames subscribe its book and trade streams on the replay server`, () => {
      const p = replayProtocol(venue)!;
      const h = sessionHarness(VENUES.get(venue)!, symbols);
      h.session.onOpen();
      const subscribed: string[] = [];
      for (const f of h.sent) {
        const r = p.clientFrame(f, []);
        expect(r.close).toBeUndefined();
        for (const t of r.subscribe ?? []) subscribed.push(topicKey(t));
        for (const reply of r.replies ?? []) expect(reply).not.toMatch(/error|"status":"5|"status":4/i);
      }
      const books = subscribed.filter((k) => p.isBookChannel(k.slice(k.indexOf('|') + 1)));
      expect(books.map((k) => k.slice(0, k.indexOf('|'))).sort()).toEqual([...symbols].sort());
      expect(subscribed.length).toBe(2 * symbols.length);
    });
  }

  it('keepalives are answered the way each venue does', () => {
    expect(replayProtocol('bitmex')!.clientFrame('ping', []).replies).toEqual(['pong']);
    expect(replayProtocol('upbit')!.clientFrame('PING', []).replies).toEqual(['{"status":"UP"}']);
    expect(replayProtocol('hyperliquid')!.clientFrame('{"method":"ping"}', []).replies).toEqual(['{"channel":"pong"}']);
    expect(JSON.parse(replayProtocol('deribit')!.clientFrame('{"jsonrpc":"2.0","id":7,"method":"public/test","params":{}}', []).replies![0]!)).toMatchObject({ id: 7, result: {} });
  });
});
