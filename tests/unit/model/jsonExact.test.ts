import { describe, expect, it } from 'vitest';
import { asArray, asObject, asSafeInteger, asText, JSON_SOURCE_TEXT_AVAILABLE, parseJsonExact } from '../../../src-shared/model/jsonExact.ts';
import type { ExactJson } from '../../../src-shared/model/jsonExact.ts';
import { parseScaled, requiredScale } from '../../../src-shared/model/decimal.ts';
import { loadRecording } from '../../../src-main/engine/replay/recording.ts';
import { dataPath } from '../../support/data.ts';

function parsed(text: string): ExactJson {
  const r = parseJsonExact(text);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

/** Every JSON number token in `text`, in order, as written (strings skipped). */
function numberTokens(text: string): string[] {
  const out: string[] = [];
  const re = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) if (m[0][0] !== '"') out.push(m[0]);
  return out;
}

/**
 * The exact texts standing where plain JSON.parse put numbers, in document order: both trees are
 * walked together, so a JSON string that merely looks like a number is not mistaken for one.
 */
function exactWherePlainHasNumbers(exact: ExactJson, plain: unknown, out: string[] = []): string[] {
  if (typeof plain === 'number') out.push(exact as string);
  else if (Array.isArray(plain)) plain.forEach((p, i) => exactWherePlainHasNumbers((exact as ExactJson[])[i]!, p, out));
  else if (plain !== null && typeof plain === 'object') {
    for (const k of Object.keys(plain)) exactWherePlainHasNumbers((exact as Record<string, ExactJson>)[k]!, (plain as Record<string, unknown>)[k], out);
  }
  return out;
}

describe('parseJsonExact', () => {
  it('runs on an engine that gives revivers the source text (Node 24)', () => {
    expect(JSON_SOURCE_TEXT_AVAILABLE).toBe(true);
  });

  it('keeps each number as written, where JSON.parse would round or drop the scale', () => {
    const v = asObject(parsed('{"p":0.10000000000000001,"q":4.0,"e":9.9E-7,"big":12345678901234567890,"neg":-0,"s":"x"}'))!;
    expect(v['p']).toBe('0.10000000000000001');
    expect(v['q']).toBe('4.0');
    expect(v['e']).toBe('9.9E-7');
    expect(v['big']).toBe('12345678901234567890');
    expect(v['neg']).toBe('-0');
    expect(v['s']).toBe('x');
    // What the exact text buys: the decimal parser sees the venue's digits.
    expect(parseScaled(asText(v['e'])!, 8)).toBe(99);
    expect(requiredScale(asText(v['q'])!)).toBe(0);
  });

  it('keeps booleans, null, nesting and strings', () => {
    const v = asObject(parsed('{"a":[true,false,null,[1,"2"]],"b":{"c":"d"}}'))!;
    expect(v['a']).toEqual([true, false, null, ['1', '2']]);
    expect(asObject(v['b'])).toEqual({ c: 'd' });
    expect(asArray(v['b'])).toBeUndefined();
    expect(asObject(v['a'])).toBeUndefined();
  });

  it('reports malformed JSON as a typed failure, never an exception', () => {
    for (const bad of ['', '{', '{"a":01}', '[1,]', 'NaN', '{"a":.5}']) {
      const r = parseJsonExact(bad);
      expect(r.ok, bad).toBe(false);
      if (!r.ok) expect(r.error.length).toBeGreaterThan(0);
    }
  });

  it('reads ids and timestamps as safe integers only', () => {
    expect(asSafeInteger('29357198323')).toBe(29357198323);
    expect(asSafeInteger('-3')).toBe(-3);
    expect(asSafeInteger('1.0')).toBeNaN();
    expect(asSafeInteger('1e3')).toBeNaN();
    expect(asSafeInteger('90071992547409931')).toBeNaN();
    expect(asSafeInteger(null)).toBeNaN();
    expect(asSafeInteger(undefined)).toBeNaN();
  });

  it('returns every number of real Deribit, Upbit and BitMEX frames exactly as the venue wrote it', async () => {
    let numbers = 0;
    let lostByDouble = 0;
    for (const rel of ['deribit/cryptofeed_book_raw_2021-04-17.ndjson', 'upbit/cryptofeed_orderbook+trade_2021-04-17.ndjson', 'bitmex/cryptofeed_orderBookL2_2021-07-22.ndjson']) {
      for (const rec of await loadRecording(dataPath(rel))) {
        if (rec.dir !== 'recv') continue;
        const tokens = numberTokens(rec.raw);
        const v = parsed(rec.raw);
        expect(exactWherePlainHasNumbers(v, JSON.parse(rec.raw)), `${rel}:${rec.line}`).toEqual(tokens);
        numbers += tokens.length;
        for (const t of tokens) if (String(Number(t)) !== t) lostByDouble++;
      }
    }
    // The three recordings hold tens of thousands of numeric fields; all came back verbatim.
    expect(numbers).toBeGreaterThan(10_000);
    // ...and many of them ("4.0", "9.9E-7") do not survive a trip through a double as written.
    expect(lostByDouble).toBeGreaterThan(1_000);
  });
});
