/**
 * Packaging, offline: the electron-builder configuration is valid (app-builder-lib's own
 * getConfig + validateConfiguration), points at real icons, targets an NSIS installer for
 * Windows; a `--dir` pack with a stub Electron proves that every utility-process entry the build
 * declares is inside app.asar with the main, preload, renderer and default configuration; and
 * the bundled feed entry actually starts and serves real books under plain Node (a missing
 * module in a bundled entry is the classic way a packaged app ships broken).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { UTILITY_ENTRIES } from '../../electron.vite.config.ts';
import { forkLauncher } from '../../src-main/hosts/forkLauncher.ts';
import { Supervisor } from '../../src-main/hosts/supervisor.ts';
import { startReplay } from '../../src-main/engine/replay/replayPlan.ts';
import { dataPath, repoRoot } from '../support/data.ts';
import { EventLog } from '../support/eventLog.ts';

const require = createRequire(import.meta.url);
const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config') as {
  getConfig(dir: string, path: string | null, opts: null): Promise<Record<string, unknown>>;
  validateConfiguration(c: Record<string, unknown>, logger: unknown): Promise<void>;
};
const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
const asar = require('@electron/asar') as { listPackage(path: string, opts?: object): string[] };

const tmp = mkdtempSync(join(tmpdir(), 'depthdesk-pack-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const BUILT = ['out/main/index.js', 'out/preload/index.cjs', 'out/renderer/index.html', ...Object.keys(UTILITY_ENTRIES).map((n) => `out/main/${n}.js`)];

beforeAll(() => {
  // npm test builds before the tests run; a test run on its own builds what is missing.
  if (BUILT.every((f) => existsSync(join(repoRoot, f)))) return;
  const r = spawnSync(join(repoRoot, 'node_modules/.bin/electron-vite'), ['build'], { cwd: repoRoot, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`electron-vite build failed:\n${r.stderr}`);
});

describe('electron-builder configuration', () => {
  it('is valid for app-builder-lib, with an app id, icons from resources/ and an NSIS target for Windows', async () => {
    const config = await getConfig(repoRoot, null, null);
    await validateConfiguration(config, new DebugLogger(false));
    expect(config['appId']).toBe('com.depthdesk.console');
    expect(config['productName']).toBe('Depthdesk');
    const win = config['win'] as { target: { target: string }[]; icon: string };
    expect(win.target.map((t) => t.target)).toEqual(['nsis']);
    expect(win.icon).toBe('resources/icons/icon.ico');
    for (const icon of [win.icon, config['icon'] as string, (config['nsis'] as { installerIcon: string }).installerIcon]) expect(existsSync(join(repoRoot, icon)), icon).toBe(true);
  });

  it('refuses a broken configuration (the validation is real)', async () => {
    const config = await getConfig(repoRoot, null, null);
    await expect(validateConfiguration({ ...config, appIdd: 'x' }, new DebugLogger(false))).rejects.toThrow(/unknown property 'appIdd'/);
    await expect(validateConfiguration({ ...config, nsis: { oneClick: 'sometimes' } }, new DebugLogger(false))).rejects.toThrow(/configuration\.nsis\.oneClick should be a boolean/);
  });

  it('ships real icons: a 512 px PNG and an ICO whose largest entry is 256 px', () => {
    const pngBytes = readFileSync(join(repoRoot, 'resources/icons/icon.png'));
    expect(pngBytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect([pngBytes.readUInt32BE(16), pngBytes.readUInt32BE(20)]).toEqual([512, 512]);
    const icoBytes = readFileSync(join(repoRoot, 'resources/icons/icon.ico'));
    expect([icoBytes.readUInt16LE(0), icoBytes.readUInt16LE(2)]).toEqual([0, 1]);
    const n = icoBytes.readUInt16LE(4);
    const sizes = Array.from({ length: n }, (_, i) => icoBytes[6 + 16 * i] || 256);
    expect(sizes).toContain(256);
    expect(sizes).toContain(16);
  });
});

describe('--dir pack with a stub Electron', () => {
  it('puts every utility-process entry, main, preload, renderer and the default configuration inside app.asar', () => {
    const stub = join(tmp, 'electron-dist');
    const out = join(tmp, 'dist');
    spawnSync('mkdir', ['-p', stub]);
    writeFileSync(join(stub, 'electron'), '#!/bin/sh\necho "stub Electron: packaging check only"\n');
    chmodSync(join(stub, 'electron'), 0o755);
    const r = spawnSync(join(repoRoot, 'node_modules/.bin/electron-builder'), ['--dir', '--linux', `-c.electronDist=${stub}`, '-c.npmRebuild=false', `-c.directories.output=${out}`], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    const files = asar.listPackage(join(out, 'linux-unpacked/resources/app.asar'), { isPack: false });
    const inAsar = (f: string) => files.includes(`/${f}`) || files.includes(`\\${f.replace(/\//g, '\\')}`);
    for (const f of [...BUILT, 'package.json', 'resources/config/default.json', 'node_modules/ws/package.json', 'node_modules/undici/package.json']) expect(inAsar(f), f).toBe(true);
    // The renderer's libraries are bundled, not shipped twice.
    expect(files.some((f) => f.includes('node_modules/react/'))).toBe(false);
    expect(Object.keys(UTILITY_ENTRIES).length).toBeGreaterThan(0);
  });
});

describe('the bundled feed entry', () => {
  it('starts under plain Node, says hello and serves live books from a real replay', async () => {
    const r = await startReplay({ files: [dataPath('binance/cryptofeed_spot_4sym_2021-10-12.ndjson')], speed: 0 });
    if (!r.ok) throw new Error(r.error);
    const plan = r.plan;
    const log = new EventLog();
    const sup = new Supervisor({
      launcher: forkLauncher({ entries: { feed: join(repoRoot, 'out/main/feed.js') } }),
      processes: [{ name: 'feed-0', role: 'feed', venues: plan.venues, bookDepth: 20, multicast: null, dataDir: tmp }],
      build: 'packaging-test',
      mode: 'replay',
      log: () => {},
    });
    sup.subscribe(log);
    try {
      await sup.start();
      const started = await log.waitFor('process.event', (e) => e.kind === 'started');
      expect(started.data.detail).toMatch(/^pid \d+, build /);
      await log.waitFor('feed.transition', (t) => t.to === 'live');
      const st = await sup.status();
      expect(st.symbols.some((s) => s.state === 'live' && s.process === 'feed-0')).toBe(true);
    } finally {
      await sup.stop();
      await plan.close();
    }
  });
});
