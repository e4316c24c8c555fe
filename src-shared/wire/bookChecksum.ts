/**
 * The OBMC book checksum (design 2.7): CRC-32 (IEEE 802.3, the zlib polynomial, reflected,
 * init and final xor 0xFFFFFFFF) over
 *   bookSeq as u64 LE, then every bid best -> worst, then every ask best -> worst,
 * each level encoded as `side u8 (1 bid, 2 ask), price i64 LE, size i64 LE`.
 * Including bookSeq keeps the checksum of an empty book non-zero, so 0 can mean "not provided".
 *
 * Pure TypeScript (src-shared cannot use node:zlib); the golden snapshot's 2866426700 and the
 * zlib.crc32 cross-check in tests/unit/wire pin it.
 */

const TABLE = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  TABLE[n] = c >>> 0;
}

const TWO_32 = 4294967296;

/** CRC-32 of a byte range (for tests and tools; the book checksum below avoids building bytes). */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function updateU32(crc: number, v: number): number {
  let c = crc;
  c = TABLE[(c ^ v) & 0xff]! ^ (c >>> 8);
  c = TABLE[(c ^ (v >>> 8)) & 0xff]! ^ (c >>> 8);
  c = TABLE[(c ^ (v >>> 16)) & 0xff]! ^ (c >>> 8);
  c = TABLE[(c ^ (v >>> 24)) & 0xff]! ^ (c >>> 8);
  return c;
}

/** Feed a safe integer as 8 little-endian two's-complement bytes. */
function updateI64(crc: number, value: number): number {
  const hi = Math.floor(value / TWO_32);
  const lo = value - hi * TWO_32;
  return updateU32(updateU32(crc, lo >>> 0), hi >>> 0);
}

/**
 * Anything that lists levels best-first: the engine's BookSide has exactly this shape
 * (count, priceAt(i), sizeAtLevel(i)), and so do the publisher's window and receiver books.
 */
export interface LevelView {
  readonly count: number;
  priceAt(i: number): number;
  sizeAtLevel(i: number): number;
}

function updateSide(crc: number, side: number, levels: LevelView, depth: number): number {
  let c = crc;
  const n = Math.min(levels.count, depth);
  for (let i = 0; i < n; i++) {
    c = TABLE[(c ^ side) & 0xff]! ^ (c >>> 8);
    c = updateI64(c, levels.priceAt(i));
    c = updateI64(c, levels.sizeAtLevel(i));
  }
  return c;
}

/** Checksum of a book at `bookSeq`, reading at most `depth` levels per side. */
export function bookChecksum(bookSeq: number, bids: LevelView, asks: LevelView, depth = Number.POSITIVE_INFINITY): number {
  let c = updateI64(0xffffffff, bookSeq);
  c = updateSide(c, 1, bids, depth);
  c = updateSide(c, 2, asks, depth);
  return (c ^ 0xffffffff) >>> 0;
}

/** Checksum of a book given as entries (bids and asks best-first, in any interleaving). */
export function entriesChecksum(bookSeq: number, entries: readonly { price: number; size: number; side: number }[]): number {
  let c = updateI64(0xffffffff, bookSeq);
  for (const side of [1, 2]) {
    for (const e of entries) {
      if (e.side !== side) continue;
      c = TABLE[(c ^ side) & 0xff]! ^ (c >>> 8);
      c = updateI64(c, e.price);
      c = updateI64(c, e.size);
    }
  }
  return (c ^ 0xffffffff) >>> 0;
}
