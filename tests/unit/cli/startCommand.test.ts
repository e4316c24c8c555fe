import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findElectron, withDemoReplay } from '../../../src-main/cli/startCommand.ts';
import { dataDir } from '../../support/data.ts';

const root = mkdtempSync(join(tmpdir(), 'depthdesk-start-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('depthdesk start: is there an Electron to run?', () => {
  it('finds the binary the way the electron package does, without downloading anything', () => {
    expect(findElectron(root, {}, 'linux')).toEqual({ ok: false, why: 'the electron package is not installed; run npm ci' });
    const pkg = join(root, 'node_modules/electron');
    mkdirSync(pkg, { recursive: true });
    expect(findElectron(root, {}, 'linux')).toEqual({ ok: false, why: 'no Electron binary in node_modules/electron/dist, which is downloaded from GitHub on first use' });
    writeFileSync(join(pkg, 'path.txt'), 'electron');
    expect(findElectron(root, { DISPLAY: ':0' }, 'linux').ok).toBe(false);
    mkdirSync(join(pkg, 'dist'));
    writeFileSync(join(pkg, 'dist/electron'), '');
    expect(findElectron(root, { DISPLAY: ':0' }, 'linux')).toEqual({ ok: true, binary: join(pkg, 'dist/electron') });
    // A Linux server without a display cannot open the window either.
    expect(findElectron(root, {}, 'linux')).toEqual({ ok: false, why: 'no display: DISPLAY and WAYLAND_DISPLAY are unset' });
    expect(findElectron(root, {}, 'win32').ok).toBe(true);
    // ELECTRON_OVERRIDE_DIST_PATH wins, as in the electron package.
    const other = join(root, 'other');
    mkdirSync(other);
    expect(findElectron(root, { ELECTRON_OVERRIDE_DIST_PATH: other, DISPLAY: ':0' }, 'linux').ok).toBe(false);
    writeFileSync(join(other, 'electron'), '');
    expect(findElectron(root, { ELECTRON_OVERRIDE_DIST_PATH: other, DISPLAY: ':0' }, 'linux')).toEqual({ ok: true, binary: join(other, 'electron') });
  });

  it('replays one recording per venue only when given no configuration and no recordings', () => {
    const said: string[] = [];
    const env = { DEPTHDESK_DATA: dataDir() };
    const argv = withDemoReplay(['--port', '0'], (l) => said.push(l), env);
    expect(argv.slice(0, 3)).toEqual(['--port', '0', '--replay']);
    expect(argv.length).toBeGreaterThan(3);
    expect(argv.slice(3).every((f) => f.startsWith(dataDir()))).toBe(true);
    expect(said).toHaveLength(1);
    for (const given of [['--config', 'x.json'], ['--config=x.json'], ['--replay', 'a.ndjson']]) expect(withDemoReplay(given, () => {}, env)).toEqual(given);
    expect(withDemoReplay([], () => {}, { ...env, DEPTHDESK_CONFIG: 'x.json' })).toEqual([]);
    expect(withDemoReplay([], () => {}, { DEPTHDESK_DATA: join(root, 'no-data') })).toEqual([]);
  });
});
