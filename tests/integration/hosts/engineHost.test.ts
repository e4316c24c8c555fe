/**
 * The feed process's server side (engineHost.ts) in-process over an in-memory port pair: the
 * real EngineService against a local Binance server replaying a real recording, reached only
 * through the engine contract, exactly as the supervisor reaches it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '../../../src-shared/contracts/engineApi.ts';
import type { BookFrame, TransitionEvent } from '../../../src-shared/contracts/engineApi.ts';
import { memoryPortPair, Peer } from '../../../src-shared/contracts/rpc.ts';
import { formatScaled } from '../../../src-shared/model/decimal.ts';
import { serveEngine } from '../../../src-main/hosts/engineHost.ts';
import type { EngineHost } from '../../../src-main/hosts/engineHost.ts';
import { startReplay } from '../../../src-main/engine/replay/replayPlan.ts';
import type { ReplayPlan } from '../../../src-main/engine/replay/replayPlan.ts';
import { dataPath } from '../../support/data.ts';
import { TEST_TIMING, until } from '../../support/liveReplay.ts';

let plan: ReplayPlan | undefined;
let host: EngineHost | undefined;
afterEach(async () => {
  host?.peer.close('test end');
  await host?.closed;
  await plan?.close();
  host = undefined;
  plan = undefined;
});

describe('engine host over an in-memory port', () => {
  it('serves a real EngineService: hello, live books equal to the reference, frames, ping, clean stop', async () => {
    const r = await startReplay({ files: [dataPath('binance/cryptofeed_spot_4sym_2021-10-12.ndjson')], speed: 0 });
    if (!r.ok) throw new Error(r.error);
    plan = r.plan;
    const server = plan.servers[0]!;
    const [sup, child] = memoryPortPair();
    const transitions: TransitionEvent[] = [];
    const peer = new Peer(sup, { hello: { protocolVersion: PROTOCOL_VERSION, build: 'test', role: 'supervisor', name: 'test' } });
    peer.on('feed.transition', (t) => transitions.push(t));
    host = await serveEngine(
      child,
      { name: 'feed-7', role: 'feed', build: 'test', venues: plan.venues, bookDepth: 50, restart: 0, multicast: null, dataDir: '/nonexistent', mode: 'replay' },
      { service: { timing: TEST_TIMING } },
    );
    const hello = await peer.ready();
    expect(hello).toMatchObject({ role: 'feed', name: 'feed-7', protocolVersion: PROTOCOL_VERSION, pid: process.pid });

    await server.ended;
    // Every book with a usable snapshot in the recording ends live at the reference's sequence.
    const syncable = plan.venues[0]!.symbols.filter((s) => server.reference(s)?.state === 'live');
    expect(syncable.length).toBeGreaterThan(0);
    await until(() => syncable.every((s) => transitions.some((t) => t.symbol === s && t.to === 'live')));
    const st = await peer.call('status.get', {});
    for (const sym of syncable) {
      const row = st.symbols.find((s) => s.symbol === sym)!;
      const ref = server.reference(sym)!;
      await until(() => host!.service.book('binance-spot', sym)!.seq === ref.seq);
      const book = await peer.call('book.get', { venue: 'binance-spot', symbol: sym, depth: 5 });
      const top = ref.book.top(5);
      expect(book.bids, sym).toEqual(top.bids.map(([p, q]) => ({ price: formatScaled(p, ref.book.priceScale), size: formatScaled(q, ref.book.sizeScale) })));
      expect(book.asks, sym).toEqual(top.asks.map(([p, q]) => ({ price: formatScaled(p, ref.book.priceScale), size: formatScaled(q, ref.book.sizeScale) })));
      expect(row.process).toBe('feed-7');
      expect(row.counters.gaps).toBe(0);
    }
    expect(st.publisher).toBeNull();

    const frame = new Promise<BookFrame>((res) => peer.on('book.frame', res));
    expect(await peer.call('view.subscribe', { books: [{ venue: 'binance-spot', symbol: syncable[0]! }], depth: 3 })).toEqual({ books: 1 });
    const f = await frame;
    expect(f.books.map((b) => b.symbol)).toEqual([syncable[0]]);
    expect(f.books[0]!.bids.length).toBeLessThanOrEqual(3);

    const pong = await peer.call('process.ping', { seq: 41, sentMs: Date.now() });
    expect(pong.seq).toBe(41);
    expect(pong.pid).toBe(process.pid);

    peer.close('supervisor stopping');
    expect(await host.closed).toBe('supervisor stopping');
    await expect(peer.call('status.get', {})).rejects.toMatchObject({ code: 'not-available' });
  });
});
