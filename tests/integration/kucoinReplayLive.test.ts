/**
 * The live engine against a local KuCoin server replaying the real level2 recording: every book
 * buffers its first l2updates, aligns with a level2_100 snapshot the server cuts from its
 * reference (sequence included), follows sequenceStart/sequenceEnd and ends equal to the
 * reference, CAPP-BTC included (its 452338153.08 size at scale 8 is beyond 2^53 and held exactly).
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { fetchKucoinBullet } from '../../src-main/engine/venues/kucoin/kucoinBullet.ts';
import { bookDifferences, leftLive, liveReplay, quiescent, until } from '../support/liveReplay.ts';
import type { LiveReplay } from '../support/liveReplay.ts';

const REL = 'kucoin/cryptofeed_level2_2021-04-25.ndjson';
const NO_REFERENCE = new Set<string>([]);
const timing = { restTimeoutMs: 300 };

let r: LiveReplay | undefined;
afterEach(async () => {
  await r?.close();
  r = undefined;
});

async function settled(run: LiveReplay): Promise<void> {
  await quiescent(run);
  await until(() => [...run.svc.books()].every((sb) => NO_REFERENCE.has(sb.symbol) || sb.state === 'live'));
}

describe('KuCoin replay -> live engine', () => {
  it('all 8 representable symbols live from level2_100 snapshots on one connection, 0 gaps, books exact', async () => {
    r = await liveReplay(REL, { timing });
    await settled(r);
    const books = [...r.svc.books()];
    expect(books.map((b) => b.symbol).sort()).toEqual(['ANKR-BTC', 'BCHSV-USDT', 'CAPP-BTC', 'COV-BTC', 'DAPPT-BTC', 'EQZ-BTC', 'FET-BTC', 'NRG-BTC', 'SNX-BTC']);
    expect(r.svc.connections('kucoin').map((c) => c.plan.url)).toEqual([`${r.server.wsUrl}/endpoint`]);
    for (const sb of books) {
      if (NO_REFERENCE.has(sb.symbol)) {
        expect(r.server.reference(sb.symbol)).toBeUndefined();
        continue;
      }
      const ref = r.server.reference(sb.symbol)!;
      expect(sb.state, sb.symbol).toBe('live');
      expect(sb.counters.gaps, sb.symbol).toBe(0);
      expect(leftLive(r, sb.symbol), sb.symbol).toEqual([]);
      expect(sb.seq, sb.symbol).toBe(ref.seq);
      expect(bookDifferences(sb, ref, 50), sb.symbol).toEqual([]);
    }
    const served = r.server.restLog.filter((l) => l.status === 200);
    expect(served.every((l) => l.limit === 100)).toBe(true);
    expect(served.map((l) => l.symbol).sort()).toEqual(books.map((b) => b.symbol).filter((s) => !NO_REFERENCE.has(s)).sort());
  });

  it('the bullet-public handshake points at the push endpoint, which acknowledges a level2 subscription', async () => {
    r = await liveReplay(REL, { timing });
    const bullet = await fetchKucoinBullet('c-1', `${r.server.restUrl}/api/v1/bullet-public`);
    expect(bullet).toMatchObject({ ok: true });
    if (!bullet.ok) return;
    const url = new URL(bullet.url);
    expect(`${url.protocol}//${url.host}${url.pathname}`).toBe(`${r.server.wsUrl}/endpoint`);
    expect(url.searchParams.get('connectId')).toBe('c-1');
    expect(bullet.pingIntervalMs).toBe(18_000);
    const ws = new WebSocket(bullet.url);
    const replies: unknown[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.once('error', reject);
      ws.once('open', () => {
        ws.send(JSON.stringify({ id: '7', type: 'subscribe', topic: '/market/level2:SNX-BTC', privateChannel: false, response: true }));
        ws.send(JSON.stringify({ id: '8', type: 'ping' }));
      });
      ws.on('message', (data) => {
        const m = JSON.parse(String(data)) as { type: string };
        if (m.type === 'ack' || m.type === 'pong') replies.push(m);
        if (replies.length === 2) resolve();
      });
    });
    ws.close();
    expect(replies).toMatchObject([{ id: '7', type: 'ack' }, { id: '8', type: 'pong' }]);
  });
});
