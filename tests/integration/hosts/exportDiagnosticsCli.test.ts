/**
 * `npx depthdesk export-diagnostics` against a running `npx depthdesk serve --replay`, both as
 * separate processes, as an operator runs them: the host is found through its run file (0600),
 * or given as the console URL; the export shows its progress, the bundle is saved with every part
 * and the summary says what was left out. A wrong token, and a host that has stopped, give one
 * clear line and exit status 2.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readZip } from '../../../src-main/engine/record/zipWriter.ts';
import { dataPath, repoRoot } from '../../support/data.ts';

const dir = mkdtempSync(join(tmpdir(), 'depthdesk-export-cli-'));
const procs: ChildProcess[] = [];
afterAll(() => {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const FILE = 'binance/cryptofeed_spot_10sym_2021-04-05_120s.ndjson';
const SYMBOLS = ['AXSBNB', 'BTCAUD', 'BTCSTUSDT', 'DENTUSDT', 'ETHBRL', 'MANAUSDT', 'NEOUSDC', 'QTUMETH', 'RENBTCETH', 'ZILUSDT'];

function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [join(repoRoot, 'bin/depthdesk.js'), ...args], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(p);
    let out = '';
    let err = '';
    p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    p.once('exit', (code) => resolve({ code, out, err }));
  });
}

interface Served {
  proc: ChildProcess;
  url: string;
  exited: Promise<number | null>;
}

function serve(dataDir: string): Promise<Served> {
  const proc = spawn(process.execPath, [join(repoRoot, 'bin/depthdesk.js'), 'serve', '--port', '0', '--speed', '0', '--no-build', '--no-multicast', '--replay', dataPath(FILE)], {
    cwd: repoRoot,
    env: { ...process.env, DEPTHDESK_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  procs.push(proc);
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    let buf = '';
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /^Depthdesk console: (http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+)$/m.exec(buf);
      if (m) resolve({ proc, url: m[1]!, exited });
    });
    void exited.then((code) => reject(new Error(`serve exited ${code} before printing its URL:\n${buf}`)));
  });
}

describe('npx depthdesk export-diagnostics', () => {
  it('finds the running serve through its run file, shows progress, saves the bundle and says what was left out', async () => {
    const dataDir = join(dir, 'data');
    const s = await serve(dataDir);
    const runFile = join(dataDir, 'run', 'serve.json');
    // The run file carries the token: only its user may read it.
    expect(statSync(runFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'run')).mode & 0o777).toBe(0o700);
    const info = JSON.parse(readFileSync(runFile, 'utf8')) as { url: string; pid: number };
    expect(info).toMatchObject({ url: s.url, pid: s.proc.pid });

    const out = join(dir, 'bundle.zip');
    const r = await cli(['export-diagnostics', '--out', out], { DEPTHDESK_DATA_DIR: dataDir });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toBe(`exporting diagnostics from ${s.url.replace(/\/\?token=.*$/, '')} ...`);
    // Progress as the host reports it: config, status, events, metrics, one step per book, logs, manifest.
    const steps = lines.filter((l) => /^ {2}\[\d+\/\d+\] /.test(l));
    for (const want of ['config', 'status', 'events', 'metrics', ...SYMBOLS.map((x) => `book binance-spot ${x}`), 'log host.log', 'manifest']) {
      expect(steps.some((l) => l.includes(`] ${want} (`)), want).toBe(true);
    }
    expect(lines.at(-2)).toMatch(new RegExp(`^saved ${out} \\(\\d+(\\.\\d)? (B|KiB|MiB)\\): \\d+ part\\(s\\); also kept on the host as ${dataDir}/diagnostics/depthdesk-diagnostics-[\\dT-]+Z\\.zip$`));
    expect(lines.at(-1)).toBe('nothing was left out');
    const z = readZip(readFileSync(out));
    for (const part of ['manifest.json', 'SUMMARY.txt', 'config.json', 'status/symbols.json', 'events/timeline.json', 'metrics/history.json', 'logs/host.log', 'logs/feed-0.log', 'recordings/index.json']) expect(z.has(part), part).toBe(true);
    for (const x of SYMBOLS) expect(z.has(`books/binance-spot/${x}.json`), x).toBe(true);
    expect(existsSync(`${out}.part`)).toBe(false);

    // The console URL works as well, without the run file (another machine, another data folder).
    const viaUrl = await cli(['export-diagnostics', '--out', join(dir, 'via-url.zip'), '--url', s.url], { DEPTHDESK_DATA_DIR: join(dir, 'elsewhere') });
    expect(viaUrl.code).toBe(0);
    expect(readZip(readFileSync(join(dir, 'via-url.zip'))).has('manifest.json')).toBe(true);

    // A token from an earlier start: refused, in one line.
    const wrong = await cli(['export-diagnostics', '--out', join(dir, 'x.zip'), '--url', s.url.replace(/token=.*/, 'token=an-old-token-from-yesterday')], {});
    expect(wrong.code).toBe(2);
    expect(wrong.err.trim()).toMatch(/^depthdesk export-diagnostics: the Depthdesk host at http:\/\/127\.0\.0\.1:\d+ refused the connection: HTTP 401 \(wrong or old access token: the token changes at every start\)$/);

    s.proc.kill('SIGINT');
    expect(await s.exited).toBe(0);
    expect(existsSync(runFile)).toBe(false);
    const gone = await cli(['export-diagnostics', '--out', join(dir, 'y.zip')], { DEPTHDESK_DATA_DIR: dataDir });
    expect(gone.code).toBe(2);
    expect(gone.err.trim()).toBe(`depthdesk export-diagnostics: ${runFile} does not exist: no headless Depthdesk runs with this data folder; start "depthdesk serve", or pass --url with the console URL it printed`);
  });
});
