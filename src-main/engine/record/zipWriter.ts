/**
 * Streaming ZIP writer (deflate) for diagnostics bundles: entries are compressed and written one
 * at a time, so a bundle never has to fit in memory, and the caller sees progress per entry.
 * Plain PKZIP 2.0 with data descriptors off (sizes known per entry: each entry is compressed in
 * memory before its header is written, bounded by the caller's per-entry limit) and ZIP64 off:
 * bundles are bounded far below 4 GiB. Readable by every unzip, Windows Explorer included.
 */
import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { crc32, deflateRawSync, inflateRawSync } from 'node:zlib';

interface CentralEntry {
  name: Buffer;
  crc: number;
  compressed: number;
  size: number;
  offset: number;
  dosTime: number;
  dosDate: number;
  method: number;
}

function dosDateTime(d: Date): { time: number; date: number } {
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
    date: ((d.getFullYear() - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}

export class ZipWriter {
  private readonly out: WriteStream;
  private offset = 0;
  private readonly entries: CentralEntry[] = [];
  private failed: Error | null = null;
  private readonly names = new Set<string>();

  constructor(path: string) {
    this.out = createWriteStream(path);
    this.out.on('error', (e) => {
      this.failed = e;
    });
  }

  /** Bytes written so far (compressed). */
  get bytes(): number {
    return this.offset;
  }

  private write(buf: Buffer): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    this.offset += buf.length;
    return new Promise((resolve, reject) => {
      this.out.write(buf, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** Add one file. Returns its compressed size. */
  async add(name: string, data: Buffer | string, mtime = new Date()): Promise<number> {
    if (this.names.has(name)) throw new Error(`zip: duplicate entry ${name}`);
    this.names.add(name);
    const raw = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const deflated = deflateRawSync(raw, { level: 6 });
    // Store already-compressed content (gzip captures) instead of inflating it.
    const method = deflated.length < raw.length ? 8 : 0;
    const body = method === 8 ? deflated : raw;
    const crc = crc32(raw);
    const nameBuf = Buffer.from(name, 'utf8');
    const { time, date } = dosDateTime(mtime);
    const h = Buffer.alloc(30);
    h.writeUInt32LE(0x04034b50, 0);
    h.writeUInt16LE(20, 4); // version needed
    h.writeUInt16LE(0x0800, 6); // UTF-8 names
    h.writeUInt16LE(method, 8);
    h.writeUInt16LE(time, 10);
    h.writeUInt16LE(date, 12);
    h.writeUInt32LE(crc >>> 0, 14);
    h.writeUInt32LE(body.length, 18);
    h.writeUInt32LE(raw.length, 22);
    h.writeUInt16LE(nameBuf.length, 26);
    h.writeUInt16LE(0, 28);
    const offset = this.offset;
    await this.write(h);
    await this.write(nameBuf);
    await this.write(body);
    this.entries.push({ name: nameBuf, crc: crc >>> 0, compressed: body.length, size: raw.length, offset, dosTime: time, dosDate: date, method });
    return body.length + 30 + nameBuf.length;
  }

  /** Write the central directory and close the file. */
  async finish(): Promise<number> {
    const start = this.offset;
    for (const e of this.entries) {
      const c = Buffer.alloc(46);
      c.writeUInt32LE(0x02014b50, 0);
      c.writeUInt16LE(20, 4); // made by
      c.writeUInt16LE(20, 6); // needed
      c.writeUInt16LE(0x0800, 8);
      c.writeUInt16LE(e.method, 10);
      c.writeUInt16LE(e.dosTime, 12);
      c.writeUInt16LE(e.dosDate, 14);
      c.writeUInt32LE(e.crc, 16);
      c.writeUInt32LE(e.compressed, 20);
      c.writeUInt32LE(e.size, 24);
      c.writeUInt16LE(e.name.length, 28);
      c.writeUInt32LE(e.offset, 42);
      await this.write(c);
      await this.write(e.name);
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(this.entries.length, 8);
    end.writeUInt16LE(this.entries.length, 10);
    end.writeUInt32LE(this.offset - start, 12);
    end.writeUInt32LE(start, 16);
    await this.write(end);
    await new Promise<void>((resolve, reject) => this.out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    return this.offset;
  }

  /** Abandon the file (error paths). */
  abort(): void {
    this.out.destroy();
  }
}

/** Read back a zip written by ZipWriter (tests, and `verify` of incident files inside bundles). */
export function readZip(buf: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error('not a zip file (no end of central directory)');
  const n = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  for (let i = 0; i < n; i++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error('zip: bad central directory');
    const method = buf.readUInt16LE(p + 10);
    const compressed = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    const lNameLen = buf.readUInt16LE(local + 26);
    const lExtraLen = buf.readUInt16LE(local + 28);
    const data = buf.subarray(local + 30 + lNameLen + lExtraLen, local + 30 + lNameLen + lExtraLen + compressed);
    out.set(name, method === 8 ? inflateRawSync(data) : Buffer.from(data));
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}
