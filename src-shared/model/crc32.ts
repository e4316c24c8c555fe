/**
 * CRC-32 (IEEE 802.3 / zlib: reflected polynomial 0xEDB88320, init and final xor 0xFFFFFFFF) over
 * text, as the venues define their book checksums: OKX (signed 32-bit compare), Kraken (unsigned),
 * Bitget and Bitfinex (signed). Those checksums run over ASCII digits, '.', ':' and '-', hashed as
 * their UTF-8 bytes; any other character is encoded to UTF-8 here, so the result always equals
 * zlib.crc32(Buffer.from(text, 'utf8')).
 *
 * Incremental by design: `crc32Update(state, piece)` lets a checksum walk the book level by level
 * without building the whole string. Start from `CRC32_INIT`, finish with `crc32Final`. The book
 * checksums that run on every message write their text as bytes instead (`writeScaled`,
 * `writeUInt`, no strings) and hash it in one `crc32Bytes` call.
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

/** Feed one byte into a running CRC state. */
export const crc32Byte = byte;

/** Row of TABLE by its top byte (the top bytes of the CRC-32 table are all different). */
const ROW_BY_TOP = new Uint8Array(256);
for (let n = 0; n < 256; n++) ROW_BY_TOP[TABLE[n]! >>> 24] = n;

/**
 * The state that byte `b` takes to `after` (one byte's update is a bijection): e.g. a start
 * state from which a text written as ":a:b:c" hashes like "a:b:c".
 */
export function crc32Unbyte(after: number, b: number): number {
  const a = after >>> 0;
  const row = ROW_BY_TOP[a >>> 24]!;
  return (((a ^ TABLE[row]!) << 8) | (row ^ b)) >>> 0;
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

const POW10: number[] = [];
for (let i = 0, v = 1; i <= 22; i++, v *= 10) POW10.push(v);

/**
 * Slicing-by-8 tables (eight 256-entry tables): `crc32Bytes` folds eight bytes per step instead
 * of one, for the checksums that hash a whole book's text every message.
 */
const T8 = new Uint32Array(256 * 8);
for (let n = 0; n < 256; n++) T8[n] = TABLE[n]!;
for (let n = 0; n < 256; n++) {
  let c = T8[n]!;
  for (let k = 1; k < 8; k++) {
    c = T8[c & 0xff]! ^ (c >>> 8);
    T8[k * 256 + n] = c >>> 0;
  }
}

/** Feed `b[start..end)` (bytes) into a running CRC state. */
export function crc32Bytes(crc: number, b: Uint8Array, start: number, end: number): number {
  let c = crc;
  let i = start;
  while (end - i >= 8) {
    const lo = c ^ (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24));
    c =
      T8[1792 + (lo & 0xff)]! ^
      T8[1536 + ((lo >>> 8) & 0xff)]! ^
      T8[1280 + ((lo >>> 16) & 0xff)]! ^
      T8[1024 + (lo >>> 24)]! ^
      T8[768 + b[i + 4]!]! ^
      T8[512 + b[i + 5]!]! ^
      T8[256 + b[i + 6]!]! ^
      T8[b[i + 7]!]!;
    i += 8;
  }
  while (i < end) c = T8[(c ^ b[i++]!) & 0xff]! ^ (c >>> 8);
  return c;
}

/** "00".."99" as ASCII pairs. */
const PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  PAIRS[2 * i] = 48 + Math.floor(i / 10);
  PAIRS[2 * i + 1] = 48 + (i % 10);
}

/**
 * Write the decimal digits of a non-negative safe integer (no leading zeros; "0" for 0) at
 * `b[at]`; returns the index after them. Two digits per division, in int32 arithmetic below 2^31.
 */
export function writeUInt(b: Uint8Array, at: number, n: number): number {
  let len = 1;
  while (len < 16 && n >= POW10[len]!) len++;
  return writeDigits(b, at, n, len);
}

/** Write `n` as exactly `width` digits (leading zeros) ending at `at + width`; returns that. */
function writeDigits(b: Uint8Array, at: number, n: number, width: number): number {
  const end = at + width;
  let i = end;
  let v = n;
  while (v > 0x7fffffff) {
    const q = Math.floor(v / 100);
    const r = v - q * 100;
    b[--i] = PAIRS[2 * r + 1]!;
    b[--i] = PAIRS[2 * r]!;
    v = q;
  }
  let w = v | 0;
  while (w >= 100) {
    const q = (w / 100) | 0;
    const r = w - q * 100;
    b[--i] = PAIRS[2 * r + 1]!;
    b[--i] = PAIRS[2 * r]!;
    w = q;
  }
  if (w >= 10) {
    b[--i] = PAIRS[2 * w + 1]!;
    b[--i] = PAIRS[2 * w]!;
  } else {
    b[--i] = 48 + w;
  }
  while (i > at) b[--i] = 48;
  return end;
}

/**
 * Write the canonical text of a mantissa at `scale` (as `formatScaled` renders it: no trailing
 * zeros, '-' for negatives) at `b[at]`; returns the index after it. Safe integers only (callers
 * take the text path otherwise).
 */
export function writeScaled(b: Uint8Array, at: number, mantissa: number, scale: number): number {
  let a = mantissa;
  if (a < 0) {
    b[at++] = 45;
    a = -a;
  }
  if (a <= 0x7fffffff && scale <= 9) return writeScaledInt(b, at, a | 0, scale);
  if (scale === 0) return writeUInt(b, at, a);
  const p = POW10[scale]!;
  const int = Math.floor(a / p);
  let frac = a - int * p;
  at = writeUInt(b, at, int);
  if (frac === 0) return at;
  let width = scale;
  while (frac % 10 === 0) {
    frac /= 10;
    width--;
  }
  b[at++] = 46;
  return writeDigits(b, at, frac, width);
}

/** Digits of a non-negative int32. */
function digitCount(n: number): number {
  if (n < 100000) return n < 100 ? (n < 10 ? 1 : 2) : n < 1000 ? 3 : n < 10000 ? 4 : 5;
  return n < 10000000 ? (n < 1000000 ? 6 : 7) : n < 100000000 ? 8 : n < 1000000000 ? 9 : 10;
}

/** `writeScaled` for a mantissa below 2^31 at a scale up to 9: int32 arithmetic throughout. */
function writeScaledInt(b: Uint8Array, at: number, a: number, scale: number): number {
  if (scale === 0) return writeDigits(b, at, a, digitCount(a));
  const p = POW10[scale]! | 0;
  const int = (a / p) | 0;
  let frac = (a - int * p) | 0;
  at = writeDigits(b, at, int, digitCount(int));
  if (frac === 0) return at;
  let width = scale;
  for (;;) {
    const q = (frac / 10) | 0;
    if (frac - q * 10 !== 0) break;
    frac = q;
    width--;
  }
  b[at++] = 46;
  return writeDigits(b, at, frac, width);
}

/**
 * Appending a text whose own CRC is known. The state update is linear, so the state after a text
 * S from state c is Z_|S|(c) xor G(S), where Z_L is the effect of L zero bytes and G(S) the state
 * after S from 0. Z_L is a linear map of 32 bits: four 256-entry tables per L (ZEROS, for L up
 * to ZEROS_MAX; longer runs compose). A checksum over the top of a book then costs a few table
 * reads per level whose text it already knows (`CrcSegments`), instead of a step per character.
 */
export const ZEROS_MAX = 24;
const ZEROS = new Int32Array((ZEROS_MAX + 1) * 1024);
for (let k = 0; k < 4; k++) for (let v = 0; v < 256; v++) ZEROS[k * 256 + v] = v << (8 * k);
for (let L = 1; L <= ZEROS_MAX; L++) {
  for (let i = 0; i < 1024; i++) {
    const prev = ZEROS[(L - 1) * 1024 + i]!;
    ZEROS[L * 1024 + i] = TABLE[prev & 0xff]! ^ (prev >>> 8);
  }
}

/** The state after `len` zero bytes from state `c`. */
function crc32Zeros(c: number, len: number): number {
  while (len > ZEROS_MAX) {
    c = crc32Zeros(c, ZEROS_MAX);
    len -= ZEROS_MAX;
  }
  const o = len * 1024;
  return ZEROS[o + (c & 0xff)]! ^ ZEROS[o + 256 + ((c >>> 8) & 0xff)]! ^ ZEROS[o + 512 + ((c >>> 16) & 0xff)]! ^ ZEROS[o + 768 + (c >>> 24)]!;
}

/**
 * Per-position memory of the texts a book checksum hashes, one text per level and side (the
 * level's price and size as the checksum renders them): for each position (e.g. "the 3rd best
 * bid") the price and size seen there, the text's length and its CRC from state 0, for this pass
 * (one checksum) and the previous one. Between two messages most of a book's top is unchanged,
 * or moved by one level when a level was inserted or removed above it, so most levels are
 * appended from here. A slot's price, size, CRC and length always belong together, so a text
 * found at another position is as good as one found in place.
 */
export class CrcSegments {
  private readonly prices: Float64Array;
  private readonly sizes: Float64Array;
  private readonly crcs: Int32Array;
  private readonly lens: Uint16Array;
  private readonly prevPrices: Float64Array;
  private readonly prevSizes: Float64Array;
  private readonly prevCrcs: Int32Array;
  private readonly prevLens: Uint16Array;

  constructor(slots: number) {
    this.prices = new Float64Array(slots).fill(Number.NaN);
    this.sizes = new Float64Array(slots);
    this.crcs = new Int32Array(slots);
    this.lens = new Uint16Array(slots);
    this.prevPrices = new Float64Array(slots).fill(Number.NaN);
    this.prevSizes = new Float64Array(slots);
    this.prevCrcs = new Int32Array(slots);
    this.prevLens = new Uint16Array(slots);
  }

  /** True when position `k` held the level (`price`, `size`) in the last pass. */
  has(k: number, price: number, size: number): boolean {
    return this.prices[k] === price && this.sizes[k] === size;
  }

  /**
   * Start a pass: the last pass becomes the one `reuse` looks into; this pass starts as a copy
   * of it (a caller may rewrite only the positions from some level on).
   */
  begin(): void {
    this.prevPrices.set(this.prices);
    this.prevSizes.set(this.sizes);
    this.prevCrcs.set(this.crcs);
    this.prevLens.set(this.lens);
  }

  /**
   * Give position `k` of this pass the text of (`price`, `size`) kept by the previous pass at `k`,
   * `k + shift` or `k - shift` (`shift` slots per level); false when none of them holds it.
   */
  reuse(k: number, price: number, size: number, shift: number): boolean {
    const pp = this.prevPrices;
    const ps = this.prevSizes;
    // In place: this pass still holds the same slot.
    if (pp[k] === price && ps[k] === size) return true;
    let j = k + shift;
    if (j >= pp.length || pp[j] !== price || ps[j] !== size) {
      j = k - shift;
      if (j < 0 || pp[j] !== price || ps[j] !== size) return false;
    }
    this.prices[k] = price;
    this.sizes[k] = size;
    this.crcs[k] = this.prevCrcs[j]!;
    this.lens[k] = this.prevLens[j]!;
    return true;
  }

  /** State `c` followed by the text kept at position `k` of this pass. */
  append(c: number, k: number): number {
    return crc32Zeros(c, this.lens[k]!) ^ this.crcs[k]!;
  }

  /** Keep `b[0..len)` as the text of (`price`, `size`) at position `k` and return state `c` followed by it. */
  put(c: number, k: number, price: number, size: number, b: Uint8Array, len: number): number {
    this.prices[k] = price;
    this.sizes[k] = size;
    this.lens[k] = len;
    this.crcs[k] = crc32Bytes(0, b, 0, len);
    return this.append(c, k);
  }

  /** Position `k` of this pass holds no text (the caller hashed one it could not keep). */
  drop(k: number): void {
    this.prices[k] = Number.NaN;
  }

  /** Forget every position (the texts' scale changed). */
  clear(): void {
    this.prices.fill(Number.NaN);
    this.prevPrices.fill(Number.NaN);
  }
}
