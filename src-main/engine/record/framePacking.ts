/**
 * How the raw recorder hands a batch of frames to its writer thread, in a module of its own so
 * that the bundled app's worker entry (recorderWorker.js) and the feed entry share only this,
 * and the recorder itself, which locates the worker beside the feed entry, stays in feed.js.
 */
import type { VenueId } from '../../../src-shared/model/market.ts';
import type { FrameRecord } from './frameTap.ts';

/**
 * A batch as one string plus typed arrays: structured clone of 100k small objects costs about
 * 1.5 us per frame on the feed thread, one joined string and three transferred arrays a
 * fraction of that.
 */
export interface PackedFrames {
  text: string;
  lens: Uint32Array;
  ts: BigInt64Array;
  /** Index into `heads` per frame. */
  meta: Uint16Array;
  /** Distinct (venue, dir, conn, url, binary) of the batch. */
  heads: { venue: VenueId; dir: FrameRecord['dir']; conn: string; url: string; binary: boolean }[];
}

export function packFrames(frames: FrameRecord[]): PackedFrames {
  const n = frames.length;
  const lens = new Uint32Array(n);
  const ts = new BigInt64Array(n);
  const meta = new Uint16Array(n);
  const heads: PackedFrames['heads'] = [];
  const raws: string[] = [];
  let last: FrameRecord | undefined;
  let lastIdx = 0;
  for (let i = 0; i < n; i++) {
    const f = frames[i]!;
    raws.push(f.raw);
    lens[i] = f.raw.length;
    ts[i] = f.recvTsNs;
    if (last === undefined || f.venue !== last.venue || f.dir !== last.dir || f.conn !== last.conn || f.url !== last.url || Boolean(f.binary) !== Boolean(last.binary)) {
      lastIdx = heads.findIndex((h) => h.venue === f.venue && h.dir === f.dir && h.conn === f.conn && h.url === f.url && h.binary === Boolean(f.binary));
      if (lastIdx < 0 || lastIdx > 0xffff) {
        lastIdx = heads.length;
        heads.push({ venue: f.venue, dir: f.dir, conn: f.conn, url: f.url, binary: Boolean(f.binary) });
      }
      last = f;
    }
    meta[i] = lastIdx;
  }
  return { text: raws.join(''), lens, ts, meta, heads };
}

export function unpackFrames(p: PackedFrames): FrameRecord[] {
  const out: FrameRecord[] = [];
  let at = 0;
  for (let i = 0; i < p.lens.length; i++) {
    const h = p.heads[p.meta[i]!]!;
    const len = p.lens[i]!;
    const f: FrameRecord = { venue: h.venue, dir: h.dir, conn: h.conn, url: h.url, raw: p.text.slice(at, at + len), recvTsNs: p.ts[i]! };
    if (h.binary) f.binary = true;
    out.push(f);
    at += len;
  }
  return out;
}
