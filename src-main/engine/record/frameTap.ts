/**
 * Every frame that crosses a venue connection, as the recorder and the incident rings see it.
 * The live feed calls `FrameTap.frame` for inbound frames, frames it sent, connects/disconnects
 * and REST responses (the `conn` of a REST response is the connection whose session asked for it,
 * so an incident capture of that connection contains its snapshots).
 *
 * The envelope written to disk is the one of ../shared/data (`recv_ts_ns`, `dir`, `conn`, `url`,
 * `raw`, `frame`), so `depthdesk verify`, the replay servers and the tests read both.
 */
import type { VenueId } from '../../../src-shared/model/market.ts';
import type { RecordDir } from '../replay/recording.ts';

export interface FrameRecord {
  venue: VenueId;
  dir: RecordDir;
  conn: string;
  url: string;
  raw: string;
  recvTsNs: bigint;
  binary?: boolean;
}

export interface FrameTap {
  frame(f: FrameRecord): void;
}

/** One NDJSON envelope line (with trailing newline). */
export function envelopeLine(f: FrameRecord): string {
  // Field order follows ../shared/data. `raw` is JSON-escaped text; url omitted when unknown.
  return `{"recv_ts_ns":"${f.recvTsNs}","dir":"${f.dir}","conn":${JSON.stringify(f.conn)}${f.url ? `,"url":${JSON.stringify(f.url)}` : ''}${f.dir === 'connect' || f.dir === 'disconnect' ? (f.raw ? `,"raw":${JSON.stringify(f.raw)}` : '') : `,"raw":${JSON.stringify(f.raw)}`}${f.binary ? ',"frame":"binary"' : ''}}\n`;
}

/** Fan a frame out to several taps; a throwing tap never breaks the feed. */
export class TapSet implements FrameTap {
  private readonly taps: FrameTap[] = [];
  errors = 0;

  add(t: FrameTap): () => void {
    this.taps.push(t);
    return () => {
      const i = this.taps.indexOf(t);
      if (i >= 0) this.taps.splice(i, 1);
    };
  }

  get size(): number {
    return this.taps.length;
  }

  frame(f: FrameRecord): void {
    for (const t of this.taps) {
      try {
        t.frame(f);
      } catch {
        this.errors++;
      }
    }
  }
}
