import { describe, expect, it } from 'vitest';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { CRC32_INIT, crc32Final, crc32Text, crc32Update, toSigned32 } from '../../../src-shared/model/crc32.ts';

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
