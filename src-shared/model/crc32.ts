/**
 * CRC-32 (IEEE 802.3 / zlib: reflected polynomial 0xEDB88320, init and final xor 0xFFFFFFFF) over
 * text, as the venues define their book checksums: OKX (signed 32-bit compare), Kraken (unsigned),
 * Bitget and Bitfinex (signed). Those checksums run over ASCII digits, '.', ':' and '-', hashed as
 * their UTF-8 bytes; any other character is encoded to UTF-8 here, so the result always equals
 * zlib.crc32(Buffer.from(text, 'utf8')).
 *
 * Incremental by design: `crc32Update(state, piece)` lets a checksum walk the book level by level
 * without building the whole string. Start from `CRC32_INIT`, finish with `crc32Final`.
 * Pure TypeScript: src-shared cannot use node:zlib.
 */

const TABLE = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  TABLE[n] = c >>> 0;
}

/** Running state before any byte. */
export const CRC32_INIT = 0xffffffff;

function byte(crc: number, b: number): number {
  return TABLE[(crc ^ b) & 0xff]! ^ (crc >>> 8);
}

/** Feed the UTF-8 bytes of `text` into a running CRC state. */
export function crc32Update(crc: number, text: string): number {
  let c = crc;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    let cp = text.charCodeAt(i);
    if (cp < 0x80) {
      c = byte(c, cp);
      continue;
    }
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < n) {
      const lo = text.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        i++;
      }
    }
    // A lone surrogate is encoded as U+FFFD, as Buffer.from(text, 'utf8') and TextEncoder do.
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
    if (cp < 0x800) {
      c = byte(c, 0xc0 | (cp >> 6));
    } else if (cp < 0x10000) {
      c = byte(c, 0xe0 | (cp >> 12));
      c = byte(c, 0x80 | ((cp >> 6) & 0x3f));
    } else {
      c = byte(c, 0xf0 | (cp >> 18));
      c = byte(c, 0x80 | ((cp >> 12) & 0x3f));
      c = byte(c, 0x80 | ((cp >> 6) & 0x3f));
    }
    c = byte(c, 0x80 | (cp & 0x3f));
  }
  return c;
}

/** Unsigned 32-bit result of a running state. */
export function crc32Final(crc: number): number {
  return (crc ^ 0xffffffff) >>> 0;
}

/** CRC-32 of a whole string, unsigned (0 .. 2^32 - 1). */
export function crc32Text(text: string): number {
  return crc32Final(crc32Update(CRC32_INIT, text));
}

/** The same value as a signed 32-bit integer (how OKX, Bitget and Bitfinex send it). */
export function toSigned32(unsigned: number): number {
  return unsigned | 0;
}

/** Scratch for digit emission (an i64 has at most 19 digits). */
const DIGITS = new Uint8Array(24);

/**
 * Feed the decimal digits of a non-negative integer (no leading zeros; "0" for 0) into a running
 * CRC, without building a string. Only for safe integers (callers take the text path otherwise).
 */
export function crc32UInt(crc: number, n: number): number {
  let len = 0;
  do {
    const q = Math.floor(n / 10);
    DIGITS[len++] = 48 + (n - q * 10);
    n = q;
  } while (n > 0);
  let c = crc;
  while (len > 0) c = byte(c, DIGITS[--len]!);
  return c;
}

/**
 * Feed the canonical text of a decimal mantissa at `scale` (as `formatScaled` renders it: no
 * trailing zeros, no exponent, '-' for negatives) into a running CRC without building a string.
 * The book checksums hash these texts for every level of every message, so this is a hot path.
 */
export function crc32Scaled(crc: number, mantissa: number, scale: number): number {
  let c = crc;
  let a = mantissa;
  if (a < 0) {
    c = byte(c, 45);
    a = -a;
  }
  if (scale === 0) return crc32UInt(c, a);
  const p = POW10[scale]!;
  const int = Math.floor(a / p);
  let frac = a - int * p;
  c = crc32UInt(c, int);
  if (frac === 0) return c;
  let width = scale;
  while (frac % 10 === 0) {
    frac /= 10;
    width--;
  }
  c = byte(c, 46);
  let len = 0;
  while (len < width) {
    const q = Math.floor(frac / 10);
    DIGITS[len++] = 48 + (frac - q * 10);
    frac = q;
  }
  while (len > 0) c = byte(c, DIGITS[--len]!);
  return c;
}

const POW10: number[] = [];
for (let i = 0, v = 1; i <= 22; i++, v *= 10) POW10.push(v);
