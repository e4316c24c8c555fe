/**
 * Replay plans (`depthdesk serve --replay`): venues and symbols found in real recordings, one
 * server per venue, EngineService configs pointing at them, and typed errors for bad input.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadRecording } from '../../../src-main/engine/replay/recording.ts';
import { splitByVenue, startReplay } from '../../../src-main/engine/replay/replayPlan.ts';
import type { ReplayPlan } from '../../../src-main/engine/replay/replayPlan.ts';
import { dataPath } from '../../support/data.ts';
import { activeHandles, expectNoLeaks } from '../../support/liveReplay.ts';

let plan: ReplayPlan | undefined;
let baseline = activeHandles();

beforeEach(() => {
  baseline = activeHandles();
});

afterEach(async () => {
  await plan?.close();
  plan = undefined;
  await expectNoLeaks(baseline);
});

describe('replay plans', () => {
  it('one server per venue, configs with the book symbols and the servers as ws/rest URLs', async () => {
    const r = await startReplay({
      files: [dataPath('binance/cryptofeed_spot_4sym_2021-10-12.ndjson'), dataPath('binance/cryptofeed_usdm_4sym_2021-07-22.ndjson'), dataPath('binance/coinm_BTCUSD_PERP_2024-08-08T2354Z_11min.hftbacktest.ndjson.gz')],
      speed: 0,
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    plan = r.plan;
    expect(plan.servers.map((s) => s.venue)).toEqual(['binance-spot', 'binance-usdm', 'binance-coinm']);
    expect(plan.venues.map((v) => [v.venue, v.symbols])).toEqual([
      ['binance-spot', ['BLZETH', 'LRCBTC', 'NKNUSDT', 'RUNEEUR']],
      ['binance-usdm', ['AKROUSDT', 'CTKUSDT', 'KEEPUSDT', 'SUSHIUSDT']],
      ['binance-coinm', ['BTCUSD_PERP']],
    ]);
    for (const v of plan.venues) {
      const s = plan.server(v.venue)!;
      expect(v.wsUrl).toBe(`ws://127.0.0.1:${s.port}`);
      expect(v.restUrl).toBe(`http://127.0.0.1:${s.port}`);
    }
    // Streams that carry no book (kline) still count as symbols of the server, not of the plan.
    expect(plan.server('binance-spot')!.symbols()).toEqual(['BLZETH', 'LRCBTC', 'NKNUSDT', 'RUNEEUR']);
  });

  it('two files of one venue share a server, merged by time since each start', async () => {
    const r = await startReplay({ files: [dataPath('binance/cryptofeed_spot_4sym_2021-10-12.ndjson'), dataPath('binance/spot_BTCUSDT_2024-08-08T2354Z_10min.hftbacktest.ndjson.gz')], speed: 0 });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    plan = r.plan;
    expect(plan.servers).toHaveLength(1);
    expect(plan.venues[0]!.symbols).toEqual(['BLZETH', 'BTCUSDT', 'LRCBTC', 'NKNUSDT', 'RUNEEUR']);
    expect(plan.servers[0]!.position.total).toBe(270 + 99574);
  });

  it('typed errors: missing file, the same symbol in two files, a record whose venue cannot be told', async () => {
    const missing = await startReplay({ files: [dataPath('binance') + '/no-such-file.ndjson'] });
    expect(missing).toEqual({ ok: false, error: 'no-such-file.ndjson:0: file not found' });
    const file = dataPath('binance/cryptofeed_spot_4sym_2021-10-12.ndjson');
    const twice = await startReplay({ files: [file, file] });
    expect(twice).toEqual({ ok: false, error: 'binance-spot NKNUSDT is in both cryptofeed_spot_4sym_2021-10-12.ndjson and cryptofeed_spot_4sym_2021-10-12.ndjson: replay them separately' });
    expect(await startReplay({ files: [] })).toEqual({ ok: false, error: 'no recording given' });
    // An hftbacktest capture has no URLs: only its file name tells the venue.
    const records = await loadRecording(dataPath('binance/spot_BTCUSDT_2024-08-08T2354Z_10min.hftbacktest.ndjson.gz'));
    const anonymous = splitByVenue('capture.ndjson.gz', records);
    expect(anonymous).toEqual({ ok: false, error: 'capture.ndjson.gz:1: cannot tell which venue this recv record belongs to (url none, connection none); pass --venue' });
    const forced = splitByVenue('capture.ndjson.gz', records, 'binance-spot');
    expect(forced.ok && [...forced.byVenue.keys()]).toEqual(['binance-spot']);
  });
});
