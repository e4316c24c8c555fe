/** In-place JSON scanning helpers, on real frames (OKX and Binance recordings). */
import { describe, expect, it } from 'vitest';
import { loadRecording } from '../../../src-main/engine/replay/recording.ts';
import { scanInt, scanString, scanUint, valueIndex } from '../../../src-shared/model/jsonScan.ts';
import { dataPath } from '../../support/data.ts';

describe('jsonScan', () => {
  it('reads the integers and strings of real OKX book frames as JSON.parse does, negative checksums included', async () => {
    const frames = (await loadRecording(dataPath('okx/cryptofeed_books-l2-tbt_2022-02-27.ndjson'))).filter((r) => r.dir === 'recv' && r.raw.includes('"checksum"')).map((r) => r.raw);
    let negatives = 0;
    for (const f of frames) {
      const d = (JSON.parse(f) as { data: { checksum: number; ts: string }[] }).data[0]!;
      expect(scanInt(f, 'checksum')).toBe(d.checksum);
      expect(scanString(f, 'ts')).toBe(d.ts);
      if (d.checksum < 0) {
        negatives++;
        expect(scanUint(f, 'checksum')).toBe(-1);
      }
    }
    expect(negatives).toBeGreaterThan(100);
  });

  it('says "absent" for a missing key, a fraction, an exponent or no digits', () => {
    const f = '{"a":1.5,"b":2e3,"c":-,"d":"7","e":-42}';
    for (const k of ['a', 'b', 'c', 'd', 'zz']) expect(scanInt(f, k), k).toBeUndefined();
    expect(scanInt(f, 'e')).toBe(-42);
    expect(valueIndex(f, 'e')).toBe(f.indexOf('-42'));
  });
});
