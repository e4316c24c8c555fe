/**
 * The live engine against a local Hyperliquid server replaying the hftbacktest capture (no URL in
 * the file: its name says Hyperliquid): one subscription per type for BTC, every l2Book message
 * replaces the book, trades flow with their taker side, and the book ends equal to the reference.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Trade } from '../../src-shared/model/market.ts';
import { bookDifferences, leftLive, liveReplay, until } from '../support/liveReplay.ts';
import type { LiveReplay } from '../support/liveReplay.ts';

const REL = 'hyperliquid/BTC_l2Book_trades_2025-01-26.hftbacktest.ndjson';

let r: LiveReplay | undefined;
afterEach(async () => {
  await r?.close();
  r = undefined;
});

describe('Hyperliquid replay -> live engine', () => {
  it('BTC live from the first l2Book, 46 whole books applied in order, 64 trades, book exact', async () => {
    r = await liveReplay(REL);
    const trades: Trade[] = [];
    r.svc.onTrade((t) => trades.push(t));
    await r.server.ended;
    await until(() => {
      const sent = r!.server.clients().reduce((n, c) => n + c.framesSent, 0);
      return sent === r!.svc.connections('hyperliquid').reduce((n, c) => n + c.connection.counters.messages, 0);
    });
    expect(r.venue).toBe('hyperliquid');
    // Two subscribe frames (l2Book, trades), each acknowledged.
    expect(r.server.clients()[0]!.topics.sort()).toEqual(['BTC|l2Book', 'BTC|trades']);
    const sb = r.book('BTC');
    expect(sb.instrument.symbol).toBe('BTC-USDC-PERP');
    expect(sb.state).toBe('live');
    expect(sb.counters.messages).toBe(46);
    expect(sb.counters.applied).toBe(46);
    expect(sb.counters.regress).toBe(0);
    expect(leftLive(r, 'BTC')).toEqual([]);
    expect(trades).toHaveLength(64);
    expect(trades.filter((t) => t.takerSide === 'unknown')).toEqual([]);
    const ref = r.server.reference('BTC')!;
    expect(sb.seq).toBe(ref.seq);
    expect(bookDifferences(sb, ref, 20)).toEqual([]);
  });
});
