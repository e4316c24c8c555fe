/**
 * The live engine against a local Bitfinex server replaying the real SEQ_ALL `book` recording:
 * subscriptions are answered with the recorded chanIds, the sequence numbers are renumbered per
 * socket for what the client subscribed (bitfinexReplay.ts), every book goes live from a recorded
 * snapshot (or, subscribed late, from one cut from the reference), the chain never breaks, and
 * every book ends equal to the reference. A frame lost in transit breaks the connection-wide
 * chain: every book on the socket resubscribes and is rebuilt from a fresh snapshot.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { delivered, expectAllExact, leftLive, liveReplay, until } from '../support/liveReplay.ts';
import type { LiveReplay } from '../support/liveReplay.ts';

const REL = 'bitfinex/cryptofeed_ws2_book_P0_len100_seqall_2021-04-05_120s.ndjson';
const SYMBOLS = ['tCHZUST', 'tETH2X:ETH', 'tETHJPY', 'tGTXUST', 'tKNCBTC', 'tLRCBTC', 'tREQUSD', 'tZRXETH'];

let r: LiveReplay | undefined;
afterEach(async () => {
  await r?.close();
  r = undefined;
});

describe('Bitfinex replay -> live engine', () => {
  it('all 8 books live on one connection, the SEQ_ALL chain unbroken, books exact', async () => {
    r = await liveReplay(REL);
    await delivered(r);
    await until(() => [...r!.svc.books()].every((sb) => sb.state === 'live'));
    const books = [...r.svc.books()];
    expect(books.map((b) => b.symbol).sort()).toEqual(SYMBOLS);
    expect(r.svc.connections('bitfinex').map((c) => c.plan.url)).toEqual([`${r.server.wsUrl}/ws/2`]);
    for (const sb of books) {
      expect(sb.counters.gaps, sb.symbol).toBe(0);
      expect(sb.counters.duplicates, sb.symbol).toBe(0);
      expect(leftLive(r, sb.symbol), sb.symbol).toEqual([]);
    }
    expect(r.resyncs).toEqual([]);
    // Only subscribed channels are sent: no ticker frame of the recording reaches the engine.
    expect(r.server.clients()[0]!.topics.every((t) => t.endsWith('|book') || t.endsWith('|trades'))).toBe(true);
    expectAllExact(r, { live: true, levelCount: true });
  });

  it('a frame dropped mid-run breaks the connection-wide chain: every book resubscribes and is exact again', async () => {
    // Real time x20 so that the fault can be armed while the stream runs.
    r = await liveReplay(REL, { speed: 20 });
    await until(() => [...r!.svc.books()].length === 8 && [...r!.svc.books()].every((sb) => sb.state === 'live'));
    r.server.faults.addFrameRule({ match: { symbol: 'tETHJPY', channel: 'book' }, fault: { kind: 'drop' } });
    await until(() => [...r!.svc.books()].every((sb) => sb.counters.gaps === 1 && sb.state === 'live'));
    await delivered(r);
    expect(r.server.faults.log.map((f) => [f.kind, f.symbol])).toEqual([['drop', 'tETHJPY']]);
    for (const sb of r.svc.books()) {
      expect(sb.counters.gaps, sb.symbol).toBe(1);
      expect(sb.anomalies[0]!.kind, sb.symbol).toBe('gap');
      expect(sb.counters.snapshots, sb.symbol).toBeGreaterThanOrEqual(2);
    }
    expectAllExact(r, { live: true, levelCount: true });
  });
});
