import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { loadRecording } from '../../../src-main/engine/replay/recording.ts';
import { verifyFile } from '../../../src-main/engine/verify/verify.ts';
import { RawRecorder } from '../../../src-main/engine/record/rawRecorder.ts';
import { IncidentRecorder } from '../../../src-main/engine/record/incidents.ts';
import type { FrameRecord } from '../../../src-main/engine/record/frameTap.ts';
import { dataPath } from '../../support/data.ts';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'depthdesk-rec-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const SPOT = 'binance/cryptofeed_spot_10sym_2021-04-05_120s.ndjson';

async function framesOf(rel: string): Promise<FrameRecord[]> {
  const recs = await loadRecording(dataPath(rel));
  return recs.map((r) => ({ venue: 'binance-spot', dir: r.dir, conn: r.conn, url: r.url, raw: r.raw, recvTsNs: r.recvTsNs }));
}

describe('RawRecorder', () => {
  it('writes the shared envelope: its file replays to exactly the same books as the original', async () => {
    const dir = tmp();
    const rec = new RawRecorder({ dir, venues: ['binance-spot'] });
    for (const f of await framesOf(SPOT)) rec.frame(f);
    await rec.close();
    const files = readdirSync(join(dir, 'binance-spot'));
    expect(files).toHaveLength(1);
    const original = await verifyFile(dataPath(SPOT));
    const replayed = await verifyFile(join(dir, 'binance-spot', files[0]!));
    expect(replayed.error).toBeUndefined();
    expect(replayed.symbols.length).toBe(10);
    const strip = (r: typeof original) => r.symbols.map((s) => ({ ...s, anomalies: s.anomalies }));
    expect(strip(replayed)).toEqual(strip(original));
    expect(rec.stats().dropped).toBe(0);
    expect(rec.stats().linesWritten).toBe(11368);
  });

  it('rolls files by size and keeps every line', async () => {
    const dir = tmp();
    const rec = new RawRecorder({ dir, venues: 'all', maxFileBytes: 200_000, flushMs: 5 });
    const frames = await framesOf(SPOT);
    for (let i = 0; i < frames.length; i++) {
      rec.frame(frames[i]!);
      if (i % 500 === 0) await new Promise((r) => setTimeout(r, 6));
    }
    await rec.close();
    const files = readdirSync(join(dir, 'binance-spot')).sort();
    expect(files.length).toBeGreaterThan(3);
    let lines = 0;
    for (const f of files) lines += gunzipSync(readFileSync(join(dir, 'binance-spot', f))).toString('utf8').split('\n').filter(Boolean).length;
    expect(lines).toBe(frames.length);
  });

  it('keeps the folder within its total size: the oldest files go, the newest frames stay', async () => {
    const dir = tmp();
    const rec = new RawRecorder({ dir, venues: 'all', maxFileBytes: 200_000, maxTotalBytes: 150_000, flushMs: 5 });
    const frames = await framesOf(SPOT);
    for (let i = 0; i < frames.length; i++) {
      rec.frame(frames[i]!);
      if (i % 500 === 0) await new Promise((r) => setTimeout(r, 6));
    }
    await rec.close();
    const files = readdirSync(join(dir, 'binance-spot')).sort();
    const stats = rec.stats();
    expect(stats.files).toBeGreaterThan(3);
    expect(stats.filesRemoved).toBe(stats.files - files.length);
    expect(files.length).toBeLessThan(stats.files);
    // The newest file is always kept and ends with the last frame of the capture.
    const last = gunzipSync(readFileSync(join(dir, 'binance-spot', files.at(-1)!))).toString('utf8').trimEnd().split('\n').at(-1)!;
    expect(BigInt(JSON.parse(last).recv_ts_ns)).toBe(frames.at(-1)!.recvTsNs);
  });

  it('reports an unwritable directory and keeps accepting frames without throwing', async () => {
    const base = tmp();
    const blocker = join(base, 'not-a-dir');
    writeFileSync(blocker, 'a file where the recorder wants a folder');
    const rec = new RawRecorder({ dir: join(blocker, 'rec'), venues: 'all', flushMs: 5 });
    const errors: string[] = [];
    rec.onError((m) => errors.push(m));
    const frames = (await framesOf(SPOT)).slice(0, 200);
    for (const f of frames) expect(() => rec.frame(f)).not.toThrow();
    rec.drain();
    await rec.close();
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toMatch(/cannot create/);
    expect(rec.stats().errors).toBeGreaterThan(0);
    expect(rec.stats().dropped).toBe(200);
  });

  it('bounds its queue: frames beyond it are dropped and counted, never buffered without limit', async () => {
    const dir = tmp();
    const rec = new RawRecorder({ dir, venues: 'all', maxQueueBytes: 50_000, flushMs: 60_000 });
    const frames = await framesOf(SPOT);
    for (const f of frames.slice(0, 2000)) rec.frame(f);
    expect(rec.stats().queuedBytes).toBeLessThanOrEqual(50_000);
    expect(rec.stats().dropped).toBeGreaterThan(0);
    await rec.close();
  });
});

describe('IncidentRecorder', () => {
  it('captures the connection frames around an event and replays them with verify', async () => {
    const dir = tmp();
    const frames = await framesOf(SPOT);
    // Event time = receive time of a frame in the middle of the recording.
    const mid = frames[Math.floor(frames.length / 2)]!;
    let nowMs = Number(mid.recvTsNs / 1_000_000n);
    const inc = new IncidentRecorder({ dir, beforeMs: 5_000, afterMs: 5_000, now: () => nowMs });
    let id = '';
    for (const f of frames) {
      inc.frame(f);
      if (f === mid) id = inc.trigger({ kind: 'gap', venue: 'binance-spot', symbol: 'DENTUSDT', conn: f.conn, detail: 'test trigger on a real frame', tsMs: nowMs });
      nowMs = Number(f.recvTsNs / 1_000_000n);
    }
    await inc.flush();
    const [rec] = inc.list();
    expect(rec?.id).toBe(id);
    const captured = gunzipSync(readFileSync(join(dir, id, 'frames.ndjson.gz'))).toString('utf8').split('\n').filter(Boolean);
    const first = BigInt(JSON.parse(captured[0]!).recv_ts_ns);
    expect(first >= mid.recvTsNs - 5_000_000_000n).toBe(true);
    expect(captured.length).toBe(rec!.frames);
    const ev = JSON.parse(readFileSync(join(dir, id, 'event.json'), 'utf8'));
    expect(ev.events[0].symbol).toBe('DENTUSDT');
    const v = await verifyFile(join(dir, id, 'frames.ndjson.gz'), { venue: 'binance-spot' });
    expect(v.error).toBeUndefined();
    expect(v.records).toBe(captured.length);
  });

  it('an incident around a fault-injected gap replays with verify and shows that gap', async () => {
    const dir = tmp();
    const frames = await framesOf(SPOT);
    // Drop one real DENTUSDT diff well after its snapshot: the chain U == prev u + 1 breaks there.
    const dent = frames.map((f, i) => [f, i] as const).filter(([f]) => f.raw.includes('dentusdt@depth'));
    const [dropped, dropIdx] = dent[400]!;
    const transformed = frames.filter((_, i) => i !== dropIdx);
    let nowMs = 0;
    const inc = new IncidentRecorder({ dir, beforeMs: 3_000, afterMs: 3_000, now: () => nowMs });
    let id = '';
    for (const f of transformed) {
      nowMs = Number(f.recvTsNs / 1_000_000n);
      inc.frame(f);
      if (id === '' && f.recvTsNs > dropped.recvTsNs && f.raw.includes('dentusdt@depth')) {
        id = inc.trigger({ kind: 'gap', venue: 'binance-spot', symbol: 'DENTUSDT', conn: f.conn, detail: 'dropped diff', tsMs: nowMs });
      }
    }
    await inc.flush();
    const v = await verifyFile(join(dir, id, 'frames.ndjson.gz'), { venue: 'binance-spot' });
    const s = v.symbols.find((x) => x.symbol === 'DENTUSDT')!;
    expect(s.counters.gaps).toBe(1);
    expect(s.anomalies[0]!.kind).toBe('gap');
    expect(s.failures.join(' ')).toMatch(/sequence gap/);
  });
});
