/** The byte walker over Binance depthUpdate heads, on real frames of the three markets. */
import { describe, expect, it } from 'vitest';
import { readRecording } from '../../../src-main/engine/replay/recording.ts';
import { frameBytes } from '../../../src-main/engine/sync/frameBytes.ts';
import { DepthHeader, scanDepthHeader } from '../../../src-main/engine/venues/binance/depthHeader.ts';
import { dataPath } from '../../support/data.ts';

const FILES = [
  'binance/spot_BTCUSDT_2024-08-08T2354Z_10min.hftbacktest.ndjson.gz',
  'binance/usdm_BTCUSDT_2024-07-18T2357Z_8min.hftbacktest.ndjson.gz',
  'binance/coinm_BTCUSD_PERP_2024-08-08T2354Z_11min.hftbacktest.ndjson.gz',
  'binance/cryptofeed_spot_4sym_2021-10-12.ndjson',
];

async function frames(file: string, n: number): Promise<string[]> {
  const out: string[] = [];
  for await (const r of readRecording(dataPath(file))) {
    if (r.dir === 'recv' && r.raw.includes('"depthUpdate"')) out.push(r.raw);
    if (out.length === n) break;
  }
  return out;
}

describe('scanDepthHeader', () => {
  it.each(FILES)('reads E, s, U, u, pu and the bid array of real frames (%s)', async (file) => {
    const h = new DepthHeader();
    const fs = await frames(file, 300);
    expect(fs.length).toBeGreaterThan(100);
    for (const raw of fs) {
      const m = JSON.parse(raw) as { data?: Record<string, unknown> };
      const d = (m.data ?? m) as { E: number; s: string; U: number; u: number; pu?: number };
      expect(scanDepthHeader(frameBytes(raw)!, h)).toBe(true);
      expect([h.eventMs, raw.slice(h.symStart, h.symEnd), h.first, h.last, h.prev]).toEqual([d.E, d.s, d.U, d.u, d.pu ?? -1]);
      expect(raw[h.bids]).toBe('[');
      expect(raw.lastIndexOf('"b":', h.bids)).toBe(h.bids - 4);
    }
  });

  it('declines layouts it does not know, so the caller scans the string', async () => {
    const [raw] = await frames(FILES[1]!, 1);
    const h = new DepthHeader();
    const variants = [
      raw!.replace('"U":', '"U": '), // whitespace after a colon
      raw!.replace(/"U":\d+,/, ''), // no first id
      raw!.replace('"s":"BTCUSDT"', '"s":"BTC\\u0055SDT"'), // an escape
      raw!.replace('"b":[', '"b":{').replace(/\]\],"a"/, ']},"a"'), // not an array
      raw!.slice(0, raw!.indexOf('"b":')), // cut before the bids
    ];
    for (const v of variants) expect(scanDepthHeader(frameBytes(v)!, h), v.slice(0, 160)).toBe(false);
  });
});
