/**
 * Reader for the recording envelope used by ../shared/data and by the recorder:
 * one JSON object per line, `{recv_ts_ns|recv_ts_s, dir, conn, url, raw, frame}`, optionally
 * gzip-compressed. Bybit's public archive lines (no envelope) are read too: their exchange `ts`
 * stands in for the receive time.
 */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { createInterface } from 'node:readline';
import { basename } from 'node:path';

export type RecordDir = 'recv' | 'send' | 'connect' | 'http' | 'disconnect';

export interface RecordLine {
  file: string;
  line: number;
  /** Local receive time in nanoseconds since the epoch. */
  recvTsNs: bigint;
  dir: RecordDir;
  /** Connection label ("BINANCE.ws.1"); "" when the recorder did not record one. */
  conn: string;
  url: string;
  raw: string;
  binary: boolean;
}

export class RecordingError extends Error {
  readonly file: string;
  readonly line: number;
  constructor(file: string, line: number, message: string) {
    super(`${file}:${line}: ${message}`);
    this.file = file;
    this.line = line;
  }
}

const DIRS = new Set<RecordDir>(['recv', 'send', 'connect', 'http', 'disconnect']);

/** "1617666422.653664" seconds -> nanoseconds, exactly (no float). */
export function secondsTextToNs(s: string): bigint {
  const m = /^(\d+)(?:\.(\d{0,9})\d*)?$/.exec(s);
  if (!m) throw new Error(`bad seconds timestamp ${JSON.stringify(s)}`);
  return BigInt(m[1]!) * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/** Parse one line of a recording. Throws RecordingError naming file and line. */
export function parseRecordLine(text: string, file: string, line: number): RecordLine {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(text);
  } catch (e) {
    throw new RecordingError(file, line, `not JSON (${(e as Error).message})`);
  }
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new RecordingError(file, line, 'not a JSON object');
  if (o['dir'] === undefined && typeof o['topic'] === 'string' && typeof o['ts'] === 'number') {
    // Bybit public archive line, verbatim: exchange ms time stands in for receive time.
    return { file, line, recvTsNs: BigInt(o['ts']) * 1_000_000n, dir: 'recv', conn: '', url: '', raw: text, binary: false };
  }
  const dir = o['dir'];
  if (typeof dir !== 'string' || !DIRS.has(dir as RecordDir)) throw new RecordingError(file, line, `unknown or missing "dir" (${JSON.stringify(dir)})`);
  let recvTsNs: bigint;
  try {
    if (typeof o['recv_ts_ns'] === 'string') recvTsNs = BigInt(o['recv_ts_ns']);
    else if (typeof o['recv_ts_s'] === 'string') recvTsNs = secondsTextToNs(o['recv_ts_s']);
    else throw new Error('missing recv_ts_ns / recv_ts_s');
  } catch (e) {
    throw new RecordingError(file, line, (e as Error).message);
  }
  const raw = o['raw'];
  if (raw !== undefined && typeof raw !== 'string') throw new RecordingError(file, line, '"raw" is not a string');
  if ((dir === 'recv' || dir === 'http') && typeof raw !== 'string') throw new RecordingError(file, line, `"${dir}" record without "raw"`);
  return {
    file,
    line,
    recvTsNs,
    dir: dir as RecordDir,
    conn: typeof o['conn'] === 'string' ? o['conn'] : '',
    url: typeof o['url'] === 'string' ? o['url'] : '',
    raw: raw ?? '',
    binary: o['frame'] === 'binary',
  };
}

/** Stream the records of a recording file (gzip detected by magic bytes). */
export async function* readRecording(path: string): AsyncGenerator<RecordLine> {
  const name = basename(path);
  const { open } = await import('node:fs/promises');
  const fh = await open(path, 'r').catch((e: NodeJS.ErrnoException) => {
    throw new RecordingError(name, 0, e.code === 'ENOENT' ? 'file not found' : e.message);
  });
  const head = Buffer.alloc(2);
  await fh.read(head, 0, 2, 0);
  await fh.close();
  const gz = head[0] === 0x1f && head[1] === 0x8b;
  const input = createReadStream(path);
  const stream = gz ? input.pipe(createGunzip()) : input;
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of rl) {
      line++;
      if (text.length === 0) continue;
      yield parseRecordLine(text, name, line);
    }
  } catch (e) {
    if (e instanceof RecordingError) throw e;
    throw new RecordingError(name, line, `read failed: ${(e as Error).message}`);
  } finally {
    rl.close();
    input.destroy();
  }
}

/** Read a whole recording into memory (replay servers and tests that transform streams). */
export async function loadRecording(path: string): Promise<RecordLine[]> {
  const out: RecordLine[] = [];
  for await (const r of readRecording(path)) out.push(r);
  return out;
}
