import { describe, expect, it } from 'vitest';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { CRC32_INIT, crc32Byte, crc32Bytes, crc32Final, crc32Text, crc32Unbyte, crc32Update, CrcSegments, toSigned32, writeScaled, writeUInt, ZEROS_MAX } from '../../../src-shared/model/crc32.ts';
import { formatScaled, parseScaled, requiredScale } from '../../../src-shared/model/decimal.ts';
import { loadRecording } from '../../../src-main/engine/replay/recording.ts';
import { dataPath } from '../../support/data.ts';

describe('crc32Text', () => {
  it('matches the OKX checksum vectors of venues.md section 6 (computed with zlib)', () => {
    expect(crc32Text('3366.1:7:3366.8:9:3366:6:3368:8')).toBe(2413953002);
    expect(toSigned32(crc32Text('3366.1:7:3366.8:9:3366:6:3368:8'))).toBe(-1881014294);
    expect(crc32Text('3366.1:7:3366.8:9:3368:8:3372:8')).toBe(831078360);
  });

  it('equals zlib.crc32 over the UTF-8 bytes, including non-ASCII text and lone surrogates', () => {
    for (const s of ['', 'a', '58729.40000:0.45000000', 'é', '€', '中文', '\u{1F600}', 'x\ud800y', '\udc00']) {
      expect(crc32Text(s), JSON.stringify(s)).toBe(zlibCrc32(Buffer.from(s, 'utf8')));
    }
  });

  it('is incremental: feeding pieces gives the checksum of the concatenation', () => {
    const pieces = ['3366.1', ':7', ':3366.8', ':9', ':3368', ':8', ':3372', ':8'];
    let c = CRC32_INIT;
    for (const p of pieces) c = crc32Update(c, p);
    expect(crc32Final(c)).toBe(crc32Text(pieces.join('')));
  });
});

describe('writeScaled / writeUInt / crc32Bytes (book text as bytes, hashed at once)', () => {
  const buf = new Uint8Array(64);
  const text = (end: number) => Buffer.from(buf.subarray(0, end)).toString('latin1');

  it('writes exactly the text formatScaled renders, on every level of a real OKX recording', async () => {
    const recs = await loadRecording(dataPath('okx/cryptofeed_books_2022-05-13.ndjson'));
    let n = 0;
    for (const r of recs) {
      if (r.dir !== 'recv' || !r.raw.includes('"books"')) continue;
      for (const m of r.raw.matchAll(/"(\d+(?:\.\d+)?)"/g)) {
        const t = m[1]!;
        // The instrument's own scale, a wider one, and one beyond int32 mantissas.
        for (const scale of [requiredScale(t), requiredScale(t) + 3, requiredScale(t) + 9]) {
          const v = parseScaled(t, scale);
          if (!Number.isSafeInteger(v)) continue;
          expect(text(writeScaled(buf, 0, v, scale))).toBe(formatScaled(v, scale));
          expect(text(writeScaled(buf, 0, -v, scale))).toBe(formatScaled(-v, scale));
          n++;
        }
      }
    }
    expect(n).toBeGreaterThan(10_000);
    expect(text(writeUInt(buf, 0, 0))).toBe('0');
    expect(text(writeUInt(buf, 0, Number.MAX_SAFE_INTEGER))).toBe(String(Number.MAX_SAFE_INTEGER));
    expect(text(writeScaled(buf, 0, -5, 2))).toBe('-0.05');
    expect(text(writeScaled(buf, 0, 2 ** 31, 9))).toBe('2.147483648');
  });

  it('crc32Bytes equals zlib over any length and alignment (eight bytes per step plus the tail)', async () => {
    const recs = await loadRecording(dataPath('okx/cryptofeed_books_2022-05-13.ndjson'));
    const bytes = Buffer.from(recs.find((r) => r.dir === 'recv' && r.raw.length > 600)!.raw, 'utf8');
    for (let start = 0; start < 9; start++) {
      for (let end = start; end < 600; end += 7) {
        expect(crc32Final(crc32Bytes(CRC32_INIT, bytes, start, end))).toBe(zlibCrc32(bytes.subarray(start, end)));
      }
    }
    // Mixed with the string path in one running state.
    const part = crc32Update(crc32Bytes(CRC32_INIT, bytes, 0, 100), ':x');
    expect(crc32Final(part)).toBe(zlibCrc32(Buffer.concat([bytes.subarray(0, 100), Buffer.from(':x')])));
  });
});

describe('crc32Unbyte', () => {
  it('undoes one byte for every byte value and many states', () => {
    for (let b = 0; b < 256; b++) {
      for (const after of [CRC32_INIT, 0, 1, 0x80000000, 0x12345678, 0xdeadbeef]) {
        expect(crc32Byte(crc32Unbyte(after, b), b) >>> 0).toBe(after >>> 0);
      }
    }
    // A text written with a leading ':' from that state hashes as the text without it.
    expect(crc32Final(crc32Update(crc32Unbyte(CRC32_INIT, 58), ':3366.1:7'))).toBe(crc32Text('3366.1:7'));
  });
});

describe('CrcSegments (texts appended by their own CRC)', () => {
  it('gives the CRC of the concatenation for every text length, short and longer than one zeros table', async () => {
    const recs = await loadRecording(dataPath('okx/cryptofeed_books_2022-05-13.ndjson'));
    const bytes = Buffer.from(recs.find((r) => r.dir === 'recv' && r.raw.length > 2000)!.raw, 'utf8');
    const seg = new CrcSegments(4);
    let c = CRC32_INIT;
    let at = 0;
    const pieces: Buffer[] = [];
    for (let len = 0; len <= 2 * ZEROS_MAX + 7; len++) {
      const piece = bytes.subarray(at, at + len);
      at += len;
      const k = len % 4;
      c = seg.put(c, k, len, 7, new Uint8Array(piece), len);
      pieces.push(piece);
      expect(crc32Final(c), `len ${len}`).toBe(zlibCrc32(Buffer.concat(pieces)));
      // Appending the kept text again equals hashing it again.
      expect(seg.has(k, len, 7)).toBe(true);
      expect(seg.has(k, len, 8)).toBe(false);
      c = seg.append(c, k);
      pieces.push(piece);
      expect(crc32Final(c), `len ${len} again`).toBe(zlibCrc32(Buffer.concat(pieces)));
    }
    seg.clear();
    expect(seg.has(1, 1, 7)).toBe(false);
  });

  it('reuses a level\'s text from the same position or one level away in the last pass, and nothing else', () => {
    const text = (p: number, q: number) => new Uint8Array(Buffer.from(`${p}:${q}`));
    const seg = new CrcSegments(3); // 3 levels of one side, one slot each
    const levels = [
      [65000, 3],
      [64999, 7],
      [64998, 1],
    ] as const;
    levels.forEach(([p, q], k) => seg.put(0, k, p, q, text(p, q), `${p}:${q}`.length));
    seg.begin();
    // A level inserted at the top: the old levels moved down by one slot.
    expect(seg.reuse(1, 65000, 3, 1)).toBe(true);
    expect(seg.reuse(2, 64999, 7, 1)).toBe(true);
    // Two levels away, another price, or the same price with another size: not kept.
    expect(seg.reuse(0, 64998, 1, 1)).toBe(false);
    expect(seg.reuse(0, 65001, 3, 1)).toBe(false);
    expect(seg.reuse(0, 65000, 4, 1)).toBe(false);
    // The reused slot hashes the moved text.
    expect(crc32Final(seg.append(CRC32_INIT, 2))).toBe(crc32Text('64999:7'));
    // begin() keeps this pass as the start of the next one.
    seg.begin();
    expect(seg.has(1, 65000, 3)).toBe(true);
    expect(seg.has(2, 64999, 7)).toBe(true);
    seg.drop(2);
    expect(seg.has(2, 64999, 7)).toBe(false);
  });
});
