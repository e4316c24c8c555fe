/**
 * The live engine against a local Upbit server replaying the real recording (binary frames,
 * SIMPLE format, though the engine asks for DEFAULT: the server sends what was recorded): every
 * orderbook message replaces the book, the stated totals check out, and each book ends equal to
 * the reference. A message lost in transit cannot be detected on Upbit (no sequence), but it
 * cannot corrupt either: the next message is a whole book.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { delivered, expectAllExact, leftLive, liveReplay } from '../support/liveReplay.ts';
import type { LiveReplay } from '../support/liveReplay.ts';

const REL = 'upbit/cryptofeed_orderbook+trade_2021-04-17.ndjson';

let r: LiveReplay | undefined;
afterEach(async () => {
  await r?.close();
  r = undefined;
});

describe('Upbit replay -> live engine', () => {
  it('all 5 books live, 145 whole-book messages applied in order, every total checked, books exact; 304 trades', async () => {
    r = await liveReplay(REL);
    let trades = 0;
    r.svc.onTrade(() => trades++);
    await delivered(r);
    const books = [...r.svc.books()];
    expect(books.map((b) => b.symbol).sort()).toEqual(['BTC-ITAM', 'BTC-PAX', 'BTC-XTZ', 'KRW-LAMB', 'KRW-WAVES']);
    for (const sb of books) {
      expect(sb.state, sb.symbol).toBe('live');
      expect(sb.counters.applied, sb.symbol).toBe(sb.counters.messages);
      expect(sb.counters.crossCheckOk, sb.symbol).toBe(sb.counters.messages);
      expect(sb.counters.crossCheckFailed, sb.symbol).toBe(0);
      expect(sb.counters.regress, sb.symbol).toBe(0);
      expect(leftLive(r, sb.symbol), sb.symbol).toEqual([]);
      expect(r.svc.symbolStatus(sb).trustBand.mode).toBe('window');
    }
    expect(books.reduce((n, sb) => n + sb.counters.messages, 0)).toBe(145);
    expect(trades).toBe(304);
    expectAllExact(r, { seq: true, topN: 30 });
  });

  it('an orderbook message dropped in transit: nothing to detect, and the next whole book makes it exact', async () => {
    r = await liveReplay(REL, { server: { faults: [{ match: { symbol: 'KRW-LAMB', channel: 'orderbook', index: 40 }, fault: { kind: 'drop' } }] } });
    await delivered(r);
    expect(r.server.faults.log).toHaveLength(1);
    const sb = r.book('KRW-LAMB');
    expect(sb.counters.messages).toBe(86);
    expect(sb.state).toBe('live');
    expect(leftLive(r, 'KRW-LAMB')).toEqual([]);
    expectAllExact(r, { seq: true, topN: 30 });
  });
});
