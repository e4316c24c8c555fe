/**
 * Draws the app icon (a depth chart: stepped bid area rising to the mid, ask area falling away,
 * on a dark rounded tile) and writes resources/icons/icon.png (512 px) and icon.ico (16-256 px,
 * PNG-compressed entries, which Windows Vista+ and NSIS accept). No image library: the pixels
 * are computed here (4x4 supersampled) and encoded with zlib. Run: node scripts/makeIcons.ts
 */
import { deflateSync, crc32 } from 'node:zlib';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

type Rgba = [number, number, number, number];

const BG: Rgba = [14, 20, 28, 255];
const BID: Rgba = [38, 194, 129, 255];
const ASK: Rgba = [235, 77, 75, 255];
const MID: Rgba = [228, 233, 240, 255];

/** Cumulative depth steps from the mid outwards (fractions of the tile height), one per level. */
const BID_STEPS = [0.16, 0.27, 0.33, 0.45, 0.52, 0.6, 0.66];
const ASK_STEPS = [0.12, 0.22, 0.35, 0.41, 0.5, 0.58, 0.7];

/** Colour of the point (x, y) in unit coordinates (0..1, y down). */
function shade(x: number, y: number): Rgba | null {
  const r = 0.18;
  const inset = 0.02;
  const cx = Math.min(Math.max(x, inset + r), 1 - inset - r);
  const cy = Math.min(Math.max(y, inset + r), 1 - inset - r);
  if ((x - cx) ** 2 + (y - cy) ** 2 > r * r) return null;
  const left = 0.1;
  const right = 0.9;
  const base = 0.86;
  const mid = 0.5;
  const gap = 0.025;
  if (x >= mid - 0.006 && x <= mid + 0.006 && y > 0.12 && y < base) return MID;
  if (y <= base && y >= 0.12) {
    if (x >= left && x < mid - gap) {
      const i = Math.min(BID_STEPS.length - 1, Math.floor(((mid - gap - x) / (mid - gap - left)) * BID_STEPS.length));
      if (y >= base - BID_STEPS[i]! * 0.95) return BID;
    }
    if (x > mid + gap && x <= right) {
      const i = Math.min(ASK_STEPS.length - 1, Math.floor(((x - mid - gap) / (right - mid - gap)) * ASK_STEPS.length));
      if (y >= base - ASK_STEPS[i]! * 0.95) return ASK;
    }
  }
  if (y > base && y < base + 0.012 && x > left && x < right) return MID;
  return BG;
}

function render(size: number): Buffer {
  const ss = 4;
  const px = Buffer.alloc(size * size * 4);
  for (let j = 0; j < size; j++) {
    for (let i = 0; i < size; i++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let sy = 0; sy < ss; sy++) {
        for (let sx = 0; sx < ss; sx++) {
          const c = shade((i + (sx + 0.5) / ss) / size, (j + (sy + 0.5) / ss) / size);
          if (c === null) continue;
          r += c[0] * c[3];
          g += c[1] * c[3];
          b += c[2] * c[3];
          a += c[3];
        }
      }
      const o = (j * size + i) * 4;
      px[o] = a ? Math.round(r / a) : 0;
      px[o + 1] = a ? Math.round(g / a) : 0;
      px[o + 2] = a ? Math.round(b / a) : 0;
      px[o + 3] = Math.round(a / (ss * ss));
    }
  }
  return px;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** PNG: RGBA, 8 bits per channel, filter 0 on every row (https://www.w3.org/TR/png-3/). */
export function png(size: number): Buffer {
  const px = render(size);
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    px.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

/** ICO with PNG entries: ICONDIR + ICONDIRENTRY per image (width/height byte 0 means 256). */
export function ico(sizes: number[]): Buffer {
  const images = sizes.map((s) => png(s));
  const head = Buffer.alloc(6 + 16 * sizes.length);
  head.writeUInt16LE(0, 0);
  head.writeUInt16LE(1, 2);
  head.writeUInt16LE(sizes.length, 4);
  let offset = head.length;
  sizes.forEach((s, k) => {
    const e = 6 + 16 * k;
    head[e] = s >= 256 ? 0 : s;
    head[e + 1] = s >= 256 ? 0 : s;
    head.writeUInt16LE(1, e + 4);
    head.writeUInt16LE(32, e + 6);
    head.writeUInt32LE(images[k]!.length, e + 8);
    head.writeUInt32LE(offset, e + 12);
    offset += images[k]!.length;
  });
  return Buffer.concat([head, ...images]);
}

if (import.meta.main) {
  const dir = resolve(import.meta.dirname, '../resources/icons');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'icon.png'), png(512));
  writeFileSync(join(dir, 'icon.ico'), ico([16, 24, 32, 48, 64, 128, 256]));
  process.stdout.write(`wrote ${join(dir, 'icon.png')} and icon.ico\n`);
}
