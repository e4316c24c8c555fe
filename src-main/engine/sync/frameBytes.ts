/**
 * A frame's characters as bytes, for the level scanners' hot loops.
 *
 * `charCodeAt` on a string re-checks the string's representation (flat or not, one or two bytes
 * per character) at every call; loads from a byte array do not. Venue frames are ASCII JSON, so
 * copying a frame into a reusable buffer once (a memcpy-speed encode) and scanning the copy reads
 * the same characters at the same indices, at a fraction of the cost per character.
 *
 * One entry is cached: a Binance diff's bid and ask arrays are two scans of the same frame.
 */

let scratch = Buffer.allocUnsafe(1 << 16);
let cached: string | null = null;
let cachedOk = false;

/**
 * The bytes of `raw` (index i holds `raw.charCodeAt(i)`), followed by a 0 byte that stops every
 * scan at the end of the frame; or null when the frame holds a non-ASCII character (then indices
 * would not match and the caller scans the string). Valid until the next call.
 */
export function frameBytes(raw: string): Uint8Array | null {
  if (raw === cached) return cachedOk ? scratch : null;
  // Room for the worst UTF-8 expansion, so that "written === length" proves the text is ASCII.
  const need = raw.length * 3 + 1;
  if (scratch.length < need) scratch = Buffer.allocUnsafe(Math.max(need, scratch.length * 2));
  const written = scratch.write(raw, 0, 'utf8');
  cached = raw;
  cachedOk = written === raw.length;
  if (cachedOk) scratch[written] = 0;
  return cachedOk ? scratch : null;
}
