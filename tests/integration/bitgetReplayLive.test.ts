/**
 * The live engine against a local Bitget server replaying the real v1 `books` recording (the
 * engine speaks v2 on /v2/ws/public; the recorded pushes are v1, which the session also reads):
 * every book goes live from the recorded snapshot, every recorded checksum verifies, and every
 * book ends equal to the reference. An update lost in transit is caught by the next checksum: the
 * engine resubscribes that book, the server answers with a snapshot cut from its reference in the
 * exchange's original strings, and every later recorded checksum verifies again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { delivered, expectAllExact, leftLive, liveReplay, until } from '../support/liveReplay.ts';
import type { LiveReplay } from '../support/liveReplay.ts';

const REL = 'bitget/cryptofeed_v1_books_spot+mix_2022-04-07.ndjson';

let r: LiveReplay | undefined;
afterEach(async () => {
  await r?.close();
  r = undefined;
});

describe('Bitget replay -> live engine', () => {
  it('all 10 books live from the recorded snapshots, all 637 checksums verified, books exact', async () => {
    r = await liveReplay(REL);
    await delivered(r);
    const books = [...r.svc.books()];
    expect(books.map((b) => b.symbol).sort()).toEqual(['AVAXUSDT', 'CULTUSDT', 'DASHUSDT_UMCBL', 'EOSUSDT', 'GOGUSDT', 'HOTUSDT', 'STGUSDT', 'SUNUSDT', 'UNIUSDT_UMCBL', 'VVSUSDT']);
    expect(r.svc.connections('bitget').map((c) => c.plan.url)).toEqual([`${r.server.wsUrl}/v2/ws/public`]);
    let checksums = 0;
    for (const sb of books) {
      expect(sb.counters.checksumFailed, sb.symbol).toBe(0);
      expect(sb.counters.snapshots, sb.symbol).toBe(1);
      expect(leftLive(r, sb.symbol), sb.symbol).toEqual([]);
      checksums += sb.counters.checksumOk;
    }
    expect(checksums).toBe(637);
    expect(r.resyncs).toEqual([]);
    expectAllExact(r, { live: true, levelCount: true });
  });

  it('an update dropped mid-run: checksum mismatch, resubscribe, a server snapshot in original strings, later checksums verify', async () => {
    // Real time x5 so that the fault can be armed while the stream runs.
    r = await liveReplay(REL, { speed: 5 });
    await until(() => r!.book('DASHUSDT_UMCBL').state === 'live');
    r.server.faults.addFrameRule({ match: { symbol: 'DASHUSDT_UMCBL', channel: 'depth' }, fault: { kind: 'drop' } });
    const dash = r.book('DASHUSDT_UMCBL');
    await until(() => dash.counters.snapshots === 2 && dash.state === 'live');
    // The server's snapshot carried its own checksum over the strings it rendered: verified.
    const okAtResync = dash.counters.checksumOk;
    await delivered(r);
    expect(r.server.faults.log.map((f) => [f.kind, f.symbol])).toEqual([['drop', 'DASHUSDT_UMCBL']]);
    expect(dash.counters.checksumFailed).toBe(1);
    expect(dash.anomalies.map((a) => a.kind)).toEqual(['checksum-mismatch']);
    // Recorded updates after the server's snapshot verify against their recorded checksums.
    expect(dash.counters.checksumOk).toBeGreaterThan(okAtResync);
    for (const sb of r.svc.books()) {
      if (sb.symbol === 'DASHUSDT_UMCBL') continue;
      expect(sb.counters.checksumFailed, sb.symbol).toBe(0);
      expect(leftLive(r, sb.symbol), sb.symbol).toEqual([]);
    }
    expectAllExact(r, { live: true, levelCount: true });
  });
});
