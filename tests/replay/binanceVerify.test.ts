import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { verifyFile } from '../../src-main/engine/verify/verify.ts';
import { dataDir } from '../support/data.ts';

describe('verify: every Binance recording', () => {
  const dir = join(dataDir(), 'binance');
  for (const f of readdirSync(dir).sort()) {
    it(`${f}: every book aligned with its snapshot, 0 gaps, every cross-check exact`, async () => {
      const r = await verifyFile(join(dir, f));
      expect(r.error).toBeUndefined();
      expect(r.symbols.length).toBeGreaterThan(0);
      for (const s of r.symbols) {
        expect(s.failures, `${s.symbol}`).toEqual([]);
        expect(s.state).toBe('live');
        expect(s.counters.gaps).toBe(0);
        expect(s.counters.crossCheckFailed).toBe(0);
        expect(s.counters.applied).toBeGreaterThan(0);
      }
    });
  }

  it('reproduces the provenance figures of the 10-minute spot capture', async () => {
    const r = await verifyFile(join(dataDir(), 'binance/spot_BTCUSDT_2024-08-08T2354Z_10min.hftbacktest.ndjson.gz'));
    const s = r.symbols[0]!;
    // PROVENANCE.md: 6,495 depth messages, 2 dropped (u <= lastUpdateId), 6,493 applied, 1072/1072 bookTicker matches.
    expect(s.counters.messages).toBe(6495);
    expect(s.counters.droppedBeforeSnapshot).toBe(2);
    expect(s.counters.applied).toBe(6493);
    expect(s.counters.crossCheckOk).toBe(1072);
  });
});
