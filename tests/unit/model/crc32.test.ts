import { describe, expect, it } from 'vitest';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { CRC32_INIT, crc32Final, crc32Scaled, crc32Text, crc32UInt, crc32Update, toSigned32 } from '../../../src-shared/model/crc32.ts';
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

describe('crc32Scaled / crc32UInt (digit emission without strings)', () => {
  it('hashes exactly the text formatScaled renders, on every level of a real OKX recording', async () => {
    const recs = await loadRecording(dataPath('okx/cryptofeed_books_2022-05-13.ndjson'));
    let n = 0;
    for (const r of recs) {
      if (r.dir !== 'recv' || !r.raw.includes('"books"')) continue;
      for (const m of r.raw.matchAll(/"(\d+(?:\.\d+)?)"/g)) {
        const text = m[1]!;
        for (const scale of [requiredScale(text), requiredScale(text) + 3]) {
          const v = parseScaled(text, scale);
          expect(formatScaled(v, scale)).toBe(text.includes('.') ? text.replace(/\.?0+$/, '') : text);
          expect(crc32Final(crc32Scaled(CRC32_INIT, v, scale))).toBe(crc32Final(crc32Update(CRC32_INIT, formatScaled(v, scale))));
          n++;
        }
      }
    }
    expect(n).toBeGreaterThan(10_000);
    expect(crc32Final(crc32UInt(CRC32_INIT, 0))).toBe(crc32Final(crc32Update(CRC32_INIT, '0')));
    expect(crc32Final(crc32Scaled(CRC32_INIT, -5, 2))).toBe(crc32Final(crc32Update(CRC32_INIT, '-0.05')));
  });
});
