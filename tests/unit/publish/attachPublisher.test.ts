/**
 * attachPublisher / wirePublisher: what a feed process relies on besides the wire itself (the
 * wire is covered end to end in tests/integration/publish/engineMulticast.test.ts): a bad
 * configuration is a typed result, close() lets go of every engine hook exactly once, and the
 * console's PublisherView is the publisher's stats. Market data: the real Binance spot recording
 * through the real sessions (RecordedEngine), into an in-memory network.
 */
import { describe, expect, it } from 'vitest';
import { basename } from 'node:path';
import { attachPublisher, wirePublisher, type PublishingEngine } from '../../../src-main/engine/publish/attachPublisher.ts';
import { MulticastPublisher } from '../../../src-main/engine/publish/multicastPublisher.ts';
import { channelEndpoints } from '../../../src-main/engine/publish/channelAddressing.ts';
import { loadRecording } from '../../../src-main/engine/replay/recording.ts';
import { dataPath } from '../../support/data.ts';
import { RecordedEngine } from '../../support/recordedEngine.ts';
import { ManualClock, MemoryNetwork } from './memoryNetwork.ts';

const BASE = { group: '239.192.60.1', port: 43001 };
const SPOT_4SYM = 'binance/cryptofeed_spot_4sym_2021-10-12.ndjson';

/** Counts the hooks taken and given back. */
function countingEngine(inner: PublishingEngine): { engine: PublishingEngine; live: () => number } {
  let live = 0;
  const wrap = (off: () => void) => {
    live++;
    let done = false;
    return () => {
      if (!done) live--;
      done = true;
      off();
    };
  };
  return {
    engine: {
      onBook: (fn) => wrap(inner.onBook(fn)),
      onTrade: (fn) => wrap(inner.onTrade(fn)),
      on: (topic, fn) => wrap(inner.on(topic, fn)),
      book: (v, s) => inner.book(v, s),
    },
    live: () => live,
  };
}

describe('attachPublisher', () => {
  it('returns a typed refusal for a bad configuration, and takes no hook', async () => {
    const recorded = new RecordedEngine([]);
    const { engine, live } = countingEngine(recorded);
    for (const cfg of [{ group: '10.1.1.1', port: 43001 }, { ...BASE, interface: 'eth0' }, { ...BASE, maxDatagram: 2000 }]) {
      const r = await attachPublisher(engine, cfg);
      expect(r.ok, JSON.stringify(cfg)).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('invalid-config');
    }
    expect(live()).toBe(0);
  });

  it('publishes what the engine applies, shows it as a PublisherView, and lets go of every hook on close', async () => {
    const clock = new ManualClock();
    const ep = channelEndpoints(BASE, 1);
    const net = new MemoryNetwork(clock, ep.incremental.port, ep.snapshot.port);
    const rx = net.join();
    const recorded = new RecordedEngine([{ file: basename(SPOT_4SYM), records: await loadRecording(dataPath(SPOT_4SYM)) }]);
    const { engine, live } = countingEngine(recorded);
    const publisher = new MulticastPublisher({ ...BASE, autoTick: false, clock, sessionId: 7, depth: 10, snapshotPacketsPerSecond: 200 }, net);
    const attached = wirePublisher(engine, publisher);
    expect(live()).toBe(3);
    while (recorded.step()) {
      publisher.flushIncremental();
      clock.ms += 5;
      publisher.tick();
    }
    const st = attached.stats();
    expect(st.instruments).toBe(4);
    expect(st.instrumentsPublished).toBe(4);
    expect(attached.view()).toEqual({
      enabled: true,
      groups: [
        { channel: '1', group: '239.192.60.1', port: 43001, kind: 'incremental' },
        { channel: '1', group: '239.192.60.2', port: 43002, kind: 'snapshot' },
      ],
      packetsPerSec: st.packetsPerSec,
      bytesPerSec: st.bytesPerSec,
      instruments: 4,
    });
    // The receiver on the in-memory network holds what was published.
    const books = publisher.publishedBooks();
    for (const [key, p] of books) {
      const b = rx.books().get(key)!;
      expect({ key, bookSeq: b.bookSeq, checksum: b.checksum, state: b.state }).toEqual({ key, bookSeq: p.bookSeq, checksum: p.checksum, state: 'live' });
    }
    const closing = attached.close();
    expect(live()).toBe(0);
    expect(attached.close()).toBe(closing);
    await closing;
    expect(net.undecodable()).toEqual([]);
  });
});
