/** In-place JSON scanning helpers, on real frames (OKX and Binance recordings). */
import { describe, expect, it } from 'vitest';
import { loadRecording } from '../../../src-main/engine/replay/recording.ts';
import { RecentText, scanInt, scanString, scanUint, valueIndex } from '../../../src-shared/model/jsonScan.ts';
import { dataPath } from '../../support/data.ts';

describe('jsonScan', () => {
  it('reads the integers and strings of real OKX book frames as JSON.parse does, negative checksums included', async () => {
    const frames = (await loadRecording(dataPath('okx/cryptofeed_books-l2-tbt_2022-02-27.ndjson'))).filter((r) => r.dir === 'recv' && r.raw.includes('"checksum"')).map((r) => r.raw);
    let negatives = 0;
    for (const f of frames) {
      const d = (JSON.parse(f) as { data: { checksum: number; ts: string }[] }).data[0]!;
      expect(scanInt(f, '"checksum":')).toBe(d.checksum);
      expect(scanString(f, '"ts":')).toBe(d.ts);
      if (d.checksum < 0) {
        negatives++;
        expect(scanUint(f, '"checksum":')).toBe(-1);
      }
    }
    expect(negatives).toBeGreaterThan(100);
  });

  it('says "absent" for a missing key, a fraction, an exponent or no digits', () => {
    const f = '{"a":1.5,"b":2e3,"c":-,"d":"7","e":-42}';
    for (const k of ['a', 'b', 'c', 'd', 'zz']) expect(scanInt(f, `"${k}":`), k).toBeUndefined();
    expect(scanInt(f, '"e":')).toBe(-42);
    expect(valueIndex(f, '"e":')).toBe(f.indexOf('-42'));
  });

  it('RecentText gives each instrument of a real stream as parsing does, the same string object for a repeat', async () => {
    const frames = (await loadRecording(dataPath('okx/cryptofeed_books-l2-tbt_2022-02-27.ndjson'))).filter((r) => r.dir === 'recv' && r.raw.includes('"instId"')).map((r) => r.raw);
    const quoted = new RecentText();
    const sliced = new RecentText();
    let repeats = 0;
    let prev: string | undefined;
    for (const f of frames) {
      const instId = (JSON.parse(f) as { arg: { instId: string } }).arg.instId;
      const at = valueIndex(f, '"instId":');
      const q = quoted.quoted(f, at);
      expect(q).toBe(instId);
      expect(sliced.slice(f, at + 1, at + 1 + instId.length)).toBe(instId);
      if (q === prev) repeats++;
      prev = q;
    }
    expect(repeats).toBeGreaterThan(100);
    // Not a string, an escape, an unterminated string.
    expect(quoted.quoted('{"instId":42}', valueIndex('{"instId":42}', '"instId":'))).toBeUndefined();
    expect(quoted.quoted('{"instId":"A\\"B"}', 10)).toBeUndefined();
    expect(quoted.quoted('{"instId":"BTC', 10)).toBeUndefined();
    // A longer name that starts like the previous one is not taken for it.
    const r = new RecentText();
    expect(r.quoted('"BTC-USDT"', 0)).toBe('BTC-USDT');
    expect(r.quoted('"BTC-USDT-SWAP"', 0)).toBe('BTC-USDT-SWAP');
    expect(r.slice('xBTC-USDTx', 1, 9)).toBe('BTC-USDT');
    expect(r.slice('xBTC-USDx', 1, 8)).toBe('BTC-USD');
  });
});
