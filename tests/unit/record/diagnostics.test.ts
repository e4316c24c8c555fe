/**
 * The bundle builder on its own: gzip captures are opened and scrubbed like text parts (a frame
 * sent to a venue could one day carry a key), captures without a secret are copied byte for byte,
 * and a part that vanishes while exporting (a pruned capture, a rotated log) is listed as left
 * out instead of failing the export. The capture is the real OKX stream of 2022-05-13; its first
 * subscribe frame is transformed to carry a login key, as an authenticated session would send.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { IncidentRecorder } from '../../../src-main/engine/record/incidents.ts';
import { readZip } from '../../../src-main/engine/record/zipWriter.ts';
import { loadRecording } from '../../../src-main/engine/replay/recording.ts';
import { exportDiagnostics } from '../../../src-main/engine/services/diagnostics.ts';
import type { DiagnosticsSource } from '../../../src-main/engine/services/diagnostics.ts';
import { EngineService } from '../../../src-main/engine/services/engineService.ts';
import { registerSecret } from '../../../src-main/engine/services/logger.ts';
import { dataPath } from '../../support/data.ts';

const KEY = 'okxLoginKey-4Fh7Tn2Qw9Zc6Vb1';
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function source(svc: EngineService, incidentDir: string, logDir: string): DiagnosticsSource {
  return {
    build: 'test',
    version: '0.1.0',
    startedMs: 0,
    status: async () => svc.status(),
    config: async () => ({ config: { credentials: { okx: { apiKey: KEY } } }, source: 'test' }),
    events: async () => ({ transitions: [], resyncs: [], processes: [], notices: [] }),
    book: async (venue, symbol, depth) => svc.bookView(svc.book(venue as 'okx', symbol)!, depth),
    metricsHistory: () => [],
    incidentDir,
    logDir,
  };
}

async function capture(dir: string, withKey: boolean): Promise<string> {
  const recs = await loadRecording(dataPath('okx/cryptofeed_books_2022-05-13.ndjson'));
  let nowMs = 0;
  const inc = new IncidentRecorder({ dir, beforeMs: 3_600_000, afterMs: 60_000, now: () => nowMs });
  let keyed = false;
  for (const r of recs.slice(0, 400)) {
    nowMs = Number(r.recvTsNs / 1_000_000n);
    let raw = r.raw;
    if (withKey && !keyed && r.dir === 'send') {
      raw = raw.replace('{"op":"subscribe",', `{"op":"subscribe","apiKey":"${KEY}",`);
      keyed = true;
    }
    inc.frame({ venue: 'okx', dir: r.dir, conn: r.conn, url: r.url, raw, recvTsNs: r.recvTsNs });
  }
  const id = inc.trigger({ kind: 'checksum-mismatch', venue: 'okx', symbol: withKey ? 'BTC-USDT' : 'UNI-USD-SWAP', conn: recs[0]!.conn, detail: 'test', tsMs: nowMs });
  await inc.flush();
  return id;
}

describe('exportDiagnostics', () => {
  it('scrubs registered secrets inside gzip captures and copies clean captures unchanged', async () => {
    registerSecret(KEY);
    const base = mkdtempSync(join(tmpdir(), 'depthdesk-diagunit-'));
    dirs.push(base);
    const incidents = join(base, 'incidents');
    const keyed = await capture(incidents, true);
    const clean = await capture(incidents, false);
    const logs = join(base, 'logs');
    mkdirSync(logs);
    const svc = new EngineService({ venues: [{ venue: 'okx', symbols: ['BTC-USDT'] }], processName: 'feed-test' });
    const r = await exportDiagnostics(source(svc, incidents, logs), join(base, 'b.zip'));
    const z = readZip(readFileSync(r.path));
    const keyedPart = gunzipSync(z.get(`incidents/${keyed}/frames.ndjson.gz`)!).toString('utf8');
    expect(keyedPart.includes(KEY)).toBe(false);
    expect(keyedPart).toContain('\\"apiKey\\":\\"[redacted]\\"');
    // Every other frame of the capture is there as it was.
    expect(keyedPart.split('\n').length).toBe(gunzipSync(readFileSync(join(incidents, keyed, 'frames.ndjson.gz'))).toString('utf8').split('\n').length);
    expect(z.get(`incidents/${clean}/frames.ndjson.gz`)!.equals(readFileSync(join(incidents, clean, 'frames.ndjson.gz')))).toBe(true);
    // The capture on disk is the desk's evidence: the bundle is scrubbed, the original is not touched.
    expect(gunzipSync(readFileSync(join(incidents, keyed, 'frames.ndjson.gz'))).toString('utf8')).toContain(KEY);
    for (const [name, raw] of z) expect((name.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8').includes(KEY), name).toBe(false);
  });

  it('a capture that vanishes while exporting is left out and listed, the export completes', async () => {
    const base = mkdtempSync(join(tmpdir(), 'depthdesk-diagunit-'));
    dirs.push(base);
    const incidents = join(base, 'incidents');
    const id = await capture(incidents, false);
    const svc = new EngineService({ venues: [{ venue: 'okx', symbols: ['BTC-USDT'] }], processName: 'feed-test' });
    const src = source(svc, incidents, join(base, 'no-logs'));
    // Pruned by another feed process between listing (before the events) and reading (after the books).
    const events = src.events;
    src.events = async () => {
      rmSync(join(incidents, id), { recursive: true, force: true });
      return events();
    };
    const r = await exportDiagnostics(src, join(base, 'b.zip'));
    expect(r.omitted).toEqual([expect.stringMatching(new RegExp(`^incidents/${id}: ENOENT`))]);
    expect(readZip(readFileSync(r.path)).get('SUMMARY.txt')!.toString('utf8')).toContain(`incidents/${id}: ENOENT`);
  });
});
