/**
 * The live engine (EngineService: real sockets, sessions) against a local Deribit server replaying
 * the real recordings: every book goes live from the recorded snapshot, follows the change_id
 * chain, and ends equal to the reference rebuilt from the recording. A change lost in transit is
 * a gap on that instrument only: the engine resubscribes it, the server answers with a snapshot
 * cut from its reference (change_id continuing the chain), and the book is exact again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { delivered, expectAllExact, leftLive, liveReplay, until } from '../support/liveReplay.ts';
import type { LiveReplay } from '../support/liveReplay.ts';

let r: LiveReplay | undefined;
afterEach(async () => {
  await r?.close();
  r = undefined;
});

describe('Deribit replay -> live engine', () => {
  it('options 2021-04-05: all 10 books live on one connection, chains unbroken, books exact', async () => {
    r = await liveReplay('deribit/cryptofeed_book_raw_options_2021-04-05_120s.ndjson');
    await delivered(r);
    const books = [...r.svc.books()];
    expect(books).toHaveLength(10);
    expect(r.svc.connections('deribit')).toHaveLength(1);
    for (const sb of books) {
      expect(sb.state, sb.symbol).toBe('live');
      expect(sb.counters.gaps, sb.symbol).toBe(0);
      expect(sb.counters.resyncs, sb.symbol).toBe(0);
      expect(sb.counters.snapshots, sb.symbol).toBe(1);
      expect(leftLive(r, sb.symbol), sb.symbol).toEqual([]);
    }
    expect(r.book('ETH-9APR21-1950-C').counters.messages).toBe(70);
    expect(r.resyncs).toEqual([]);
    expectAllExact(r, { seq: true });
  });

  it('a change dropped in transit: gap on that instrument, resubscribed, a fresh snapshot from the server, exact again', async () => {
    r = await liveReplay('deribit/cryptofeed_book_raw_options_2021-04-05_120s.ndjson', {
      server: { faults: [{ match: { symbol: 'ETH-30APR21-2240-P', channel: 'book', index: 10 }, fault: { kind: 'drop' } }] },
    });
    await delivered(r);
    await until(() => r!.book('ETH-30APR21-2240-P').state === 'live' && r!.book('ETH-30APR21-2240-P').counters.snapshots === 2);
    await delivered(r);
    expect(r.server.faults.log.map((f) => [f.kind, f.symbol, f.index])).toEqual([['drop', 'ETH-30APR21-2240-P', 10]]);
    const hit = r.book('ETH-30APR21-2240-P');
    expect(hit.counters.gaps).toBe(1);
    expect(hit.counters.snapshots).toBe(2);
    expect(hit.anomalies.map((a) => a.kind)).toEqual(['gap']);
    for (const sb of r.svc.books()) {
      if (sb.symbol === 'ETH-30APR21-2240-P') continue;
      expect(sb.counters.gaps, sb.symbol).toBe(0);
      expect(leftLive(r, sb.symbol), sb.symbol).toEqual([]);
    }
    expectAllExact(r, { seq: true });
  });
});
