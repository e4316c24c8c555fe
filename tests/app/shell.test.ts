/**
 * The Electron shell's wiring with `electron` replaced by tests/app/electronMock.ts: window
 * hardening, session policy, IPC sender validation, the nonce-based port broker, the preload's
 * narrow API, the utility-process launcher, and the app lifecycle (single instance, invalid
 * configuration, console view over a MessagePort, orderly quit).
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

vi.mock('electron', () => import('./electronMock.ts'));

import * as electron from './electronMock.ts';
import { appUrlCheck, ELECTRON_CSP, hardenSession, isTrustedSender } from '../../src-main/app/security.ts';
import { createMainWindow } from '../../src-main/app/window.ts';
import { registerPortBroker } from '../../src-main/app/portBroker.ts';
import { CHANNEL_PORT, CHANNEL_PORT_REQUEST, NONCE_RE } from '../../src-main/app/ipcChannels.ts';
import { utilityLauncher } from '../../src-main/app/utilityLauncher.ts';
import { runApp } from '../../src-main/app/appMain.ts';
import { ENGINE_PORT_MESSAGE, PRELOAD_API_VERSION, isPreloadApi } from '../../src-shared/contracts/preloadApi.ts';
import type { PreloadApi } from '../../src-shared/contracts/preloadApi.ts';
import { PROTOCOL_VERSION } from '../../src-shared/contracts/engineApi.ts';
import { Peer } from '../../src-shared/contracts/rpc.ts';
import type { Port } from '../../src-shared/contracts/rpc.ts';
import { channelPort, isEnvelope } from '../../src-shared/contracts/transports.ts';
import { payloadArg } from '../../src-main/hosts/processPayload.ts';
import type { ProcessPayload } from '../../src-main/hosts/processPayload.ts';
import { FakeLauncher } from '../support/fakeProcesses.ts';
import { realBooks } from '../support/realBooks.ts';
import type { RealBook } from '../support/realBooks.ts';

const PAGE = '/opt/depthdesk/resources/app.asar/out/renderer/index.html';
const PAGE_URL = pathToFileURL(PAGE).href;

function trustedEvent(win: electron.BrowserWindow) {
  return { sender: win.webContents, senderFrame: win.webContents.mainFrame };
}

/** The page's side of a MessagePort, as the engine port interface (what the renderer's transport does). */
function pagePort(p: electron.FakeMessagePort): Port {
  const ends = channelPort((m) => p.postMessage(m), () => p.close());
  p.on('message', (e: { data: unknown }) => {
    if (isEnvelope(e.data)) ends.deliver(e.data);
  });
  p.on('close', () => ends.end('closed'));
  return ends.port;
}

afterEach(() => {
  electron.BrowserWindow.all.splice(0);
  electron.ipcMain.listeners.clear();
});

describe('window and session hardening', () => {
  it('creates a sandboxed, context-isolated window with our preload and no Node', () => {
    const win = createMainWindow({ preload: '/x/preload/index.cjs', page: { file: PAGE }, isAppUrl: appUrlCheck(PAGE_URL), build: '1.2.3+abc' }) as unknown as electron.BrowserWindow;
    const wp = win.options['webPreferences'] as Record<string, unknown>;
    expect(wp).toMatchObject({ preload: '/x/preload/index.cjs', sandbox: true, contextIsolation: true, nodeIntegration: false, nodeIntegrationInWorker: false, nodeIntegrationInSubFrames: false, webSecurity: true, allowRunningInsecureContent: false, webviewTag: false });
    expect(wp['additionalArguments']).toEqual(['--depthdesk-build=1.2.3+abc']);
    expect(win.loaded).toEqual({ file: PAGE });
    expect(win.options['show']).toBe(false);
    win.emit('ready-to-show');
    expect(win.shown).toBe(true);
  });

  it('denies new windows, navigation away, redirects and webviews', () => {
    const win = createMainWindow({ preload: '/p', page: { file: PAGE }, isAppUrl: appUrlCheck(PAGE_URL), build: 'b' }) as unknown as electron.BrowserWindow;
    const wc = win.webContents;
    expect(wc.windowOpenHandler?.({ url: 'https://example.com' })).toEqual({ action: 'deny' });
    expect(wc.fire('will-navigate', 'https://evil.example/')).toBe(true);
    expect(wc.fire('will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(wc.fire('will-navigate', `${PAGE_URL}#/books`)).toBe(false);
    expect(wc.fire('will-redirect', 'https://evil.example/')).toBe(true);
    expect(wc.fire('will-attach-webview')).toBe(true);
  });

  it('refuses every permission and puts a strict CSP on HTTP responses', () => {
    hardenSession(electron.session.defaultSession as never);
    const ses = electron.session.defaultSession;
    let granted: boolean | null = null;
    ses.permissionRequest!({}, 'media', (ok) => (granted = ok));
    expect(granted).toBe(false);
    expect(ses.permissionCheck!()).toBe(false);
    let headers: Record<string, string[]> = {};
    ses.headers!({ responseHeaders: { 'Content-Type': ['text/html'] } }, (r) => (headers = r.responseHeaders));
    expect(headers['Content-Security-Policy']).toEqual([ELECTRON_CSP]);
    expect(ELECTRON_CSP).toContain("default-src 'none'");
    expect(ELECTRON_CSP).toContain("connect-src 'none'");
    expect(ELECTRON_CSP).not.toContain('unsafe');
  });
});

describe('IPC sender validation and the port broker', () => {
  it('trusts only the main frame of our window showing our page', async () => {
    const win = createMainWindow({ preload: '/p', page: { file: PAGE }, isAppUrl: appUrlCheck(PAGE_URL), build: 'b' }) as unknown as electron.BrowserWindow;
    const isApp = appUrlCheck(PAGE_URL);
    const wins = electron.BrowserWindow.getAllWindows() as never[];
    expect(isTrustedSender(trustedEvent(win) as never, wins, isApp)).toBe(true);
    // A subframe of our window.
    expect(isTrustedSender({ sender: win.webContents, senderFrame: new electron.FakeFrame(PAGE_URL) } as never, wins, isApp)).toBe(false);
    // Our window after it navigated elsewhere.
    win.webContents.mainFrame.url = 'https://evil.example/';
    expect(isTrustedSender(trustedEvent(win) as never, wins, isApp)).toBe(false);
    win.webContents.mainFrame.url = PAGE_URL;
    // Another web contents, and a frame that is gone.
    const stranger = new electron.FakeWebContents(PAGE_URL);
    expect(isTrustedSender({ sender: stranger, senderFrame: stranger.mainFrame } as never, wins, isApp)).toBe(false);
    expect(isTrustedSender({ sender: win.webContents, senderFrame: null } as never, wins, isApp)).toBe(false);
    // A window we did not create.
    expect(isTrustedSender(trustedEvent(win) as never, [], isApp)).toBe(false);
  });

  it('answers a trusted request with a fresh port for its nonce; refuses the rest', async () => {
    const win = createMainWindow({ preload: '/p', page: { file: PAGE }, isAppUrl: appUrlCheck(PAGE_URL), build: 'b' }) as unknown as electron.BrowserWindow;
    const connected: Port[] = [];
    const refused: string[] = [];
    const stop = registerPortBroker({
      isTrustedSender: (e) => isTrustedSender(e, electron.BrowserWindow.getAllWindows() as never[], appUrlCheck(PAGE_URL)),
      connect: (p) => {
        connected.push(p);
        new Peer(p, { hello: { protocolVersion: PROTOCOL_VERSION, build: 'b', role: 'host', name: 'main' }, handlers: { 'process.ping': (x) => ({ seq: x.seq, pid: 1, uptimeMs: 0, rssBytes: 0, heapUsedBytes: 0 }) } });
      },
      log: (m) => refused.push(m),
    });
    const request = (event: unknown, nonce: unknown) => electron.ipcMain.emit(CHANNEL_PORT_REQUEST, event, nonce);
    const frame = win.webContents.mainFrame;
    const stranger = new electron.FakeWebContents(PAGE_URL);
    request({ sender: stranger, senderFrame: stranger.mainFrame }, 'A'.repeat(24));
    request(trustedEvent(win), 'short');
    request(trustedEvent(win), 42);
    expect(connected).toHaveLength(0);
    expect(frame.posted).toHaveLength(0);
    expect(refused).toEqual([`refused an engine port request from ${PAGE_URL}`, 'refused an engine port request without a well-formed nonce', 'refused an engine port request without a well-formed nonce']);

    const nonce = 'abcdefghijklmnopqrstuvwx';
    request(trustedEvent(win), nonce);
    expect(connected).toHaveLength(1);
    expect(frame.posted).toHaveLength(1);
    const posted = frame.posted[0]!;
    expect(posted.channel).toBe(CHANNEL_PORT);
    expect(posted.message).toEqual({ nonce });
    expect(posted.transfer).toHaveLength(1);
    // The page's end speaks the engine contract with main.
    const page = new Peer(pagePort(posted.transfer[0] as electron.FakeMessagePort), { hello: { protocolVersion: PROTOCOL_VERSION, build: 'b', role: 'renderer', name: 'page' } });
    expect((await page.ready()).name).toBe('main');
    expect(await page.call('process.ping', { seq: 5, sentMs: 0 })).toMatchObject({ seq: 5 });
    stop();
    request(trustedEvent(win), nonce);
    expect(connected).toHaveLength(1);
  });
});

describe('preload', () => {
  const posted: { data: unknown; origin: string; ports: unknown }[] = [];
  let api: PreloadApi;
  beforeAll(async () => {
    (globalThis as { window?: unknown }).window = { postMessage: (data: unknown, origin: string, ports: unknown) => posted.push({ data, origin, ports }) };
    process.argv.push('--depthdesk-build=9.9.9+test');
    await import('../../src-main/app/preload.ts');
    api = electron.contextBridge.exposed.get('depthdesk') as PreloadApi;
  });

  it('exposes only the narrow, typed API', () => {
    expect([...electron.contextBridge.exposed.keys()]).toEqual(['depthdesk']);
    expect(isPreloadApi(api)).toBe(true);
    expect(Object.keys(api).sort()).toEqual(['apiVersion', 'build', 'platform', 'requestEnginePort']);
    expect(api.apiVersion).toBe(PRELOAD_API_VERSION);
    expect(api.build).toBe('9.9.9+test');
    expect(api.platform).toBe(process.platform);
  });

  it('hands the page exactly one port per nonce, and only for the latest nonce', async () => {
    const first = await api.requestEnginePort();
    const nonce = await api.requestEnginePort();
    expect(nonce).toMatch(NONCE_RE);
    expect(nonce).not.toBe(first);
    expect(electron.ipcRenderer.sent.map((s) => s.args[0])).toEqual([first, nonce]);
    expect(electron.ipcRenderer.sent.every((s) => s.channel === CHANNEL_PORT_REQUEST)).toBe(true);
    const port = new electron.FakeMessagePort();
    electron.ipcRenderer.emit(CHANNEL_PORT, { ports: [port] }, { nonce: first });
    electron.ipcRenderer.emit(CHANNEL_PORT, { ports: [port] }, { nonce: 'x'.repeat(24) });
    electron.ipcRenderer.emit(CHANNEL_PORT, { ports: [] }, { nonce });
    expect(posted).toHaveLength(0);
    electron.ipcRenderer.emit(CHANNEL_PORT, { ports: [port] }, { nonce });
    expect(posted).toEqual([{ data: { type: ENGINE_PORT_MESSAGE, nonce }, origin: '*', ports: [port] }]);
    electron.ipcRenderer.emit(CHANNEL_PORT, { ports: [port] }, { nonce });
    expect(posted).toHaveLength(1);
  });
});

describe('utility-process launcher', () => {
  const payload: ProcessPayload = { name: 'feed-3', role: 'feed', build: 'b1', venues: [{ venue: 'okx', symbols: ['BTC-USDT'] }], bookDepth: 20, restart: 0, multicast: null, dataDir: '/d', mode: 'live' };

  it('forks the bundled entry with the payload and adapts its messages to the port interface', async () => {
    const launcher = utilityLauncher({ feed: '/app/out/main/feed.js' });
    const lp = launcher.launch(payload);
    const child = electron.utilityProcess.forks.at(-1)!;
    expect(child.modulePath).toBe('/app/out/main/feed.js');
    expect(child.args).toEqual([payloadArg(payload)]);
    expect(child.options).toMatchObject({ serviceName: 'depthdesk-feed-3', stdio: 'pipe' });
    expect((child.options['env'] as Record<string, string>)['DEPTHDESK_BUILD']).toBe('b1');
    const got: unknown[] = [];
    lp.port.onMessage((m) => got.push(m));
    child.emit('message', { t: 'evt', topic: 'feed.notice', data: { level: 'info' } });
    child.emit('message', { not: 'an envelope' });
    expect(got).toEqual([{ t: 'evt', topic: 'feed.notice', data: { level: 'info' } }]);
    lp.port.post({ t: 'bye', reason: 'x' });
    expect(child.sent).toEqual([{ t: 'bye', reason: 'x' }]);
    const lines: string[] = [];
    lp.onStderr!((l) => lines.push(l));
    child.stderr.write('Error: boom\n');
    await new Promise((r) => setImmediate(r));
    expect(lines).toEqual(['Error: boom']);
  });

  it('reports the exit with the reason Electron gives, and kills a wedged child with SIGKILL', () => {
    const launcher = utilityLauncher({ feed: '/f.js' });
    const lp = launcher.launch(payload);
    const child = electron.utilityProcess.forks.at(-1)!;
    child.pid = 4242;
    child.emit('spawn');
    expect(lp.pid).toBe(4242);
    const kill = vi.spyOn(process, 'kill').mockImplementation(() => true);
    lp.kill();
    expect(kill).toHaveBeenCalledWith(4242, 'SIGKILL');
    kill.mockRestore();
    const exits: unknown[] = [];
    lp.onExit((e) => exits.push(e));
    electron.app.emit('child-process-gone', {}, { type: 'Utility', serviceName: 'depthdesk-feed-3', reason: 'oom', exitCode: 9 });
    child.emit('exit', 9);
    expect(exits).toEqual([{ code: 9, signal: null, reason: 'oom, exit code 9' }]);
    expect(lp.port.onClose(() => {})).toBeTypeOf('function');
  });
});

describe('app lifecycle', () => {
  let data: RealBook[] = [];
  beforeAll(async () => {
    data = await realBooks('binance/cryptofeed_spot_4sym_2021-10-12.ndjson');
  });

  it('a second instance quits at once and the first one is focused', async () => {
    electron.app.lock = false;
    const quitsBefore = electron.app.quits;
    expect(await runApp({ mainDir: '/app/out/main' }, new FakeLauncher(data))).toBeNull();
    expect(electron.app.quits).toBe(quitsBefore + 1);
    expect(electron.BrowserWindow.all).toHaveLength(0);
    electron.app.lock = true;
  });

  it('an invalid configuration is shown in a dialog and the app exits 2', async () => {
    process.env['DEPTHDESK_FEEDS'] = 'many';
    try {
      expect(await runApp({ mainDir: '/app/out/main' }, new FakeLauncher(data))).toBeNull();
    } finally {
      delete process.env['DEPTHDESK_FEEDS'];
    }
    expect(electron.dialog.errors.at(-1)).toEqual({ title: 'Depthdesk: the configuration is invalid', content: expect.stringContaining('DEPTHDESK_FEEDS (processes.feeds): must be an integer (got "many")') });
    expect(electron.app.exitCode).toBe(2);
  });

  it('runs the supervisor, opens the hardened window, serves the page over its port, and stops the processes before quitting', async () => {
    const launcher = new FakeLauncher(data);
    process.env['DEPTHDESK_VENUES'] = `binance-spot:${data.map((d) => d.status.symbol).join(',')}`;
    let running: Awaited<ReturnType<typeof runApp>>;
    try {
      running = await runApp({ mainDir: '/app/out/main' }, launcher);
    } finally {
      delete process.env['DEPTHDESK_VENUES'];
    }
    expect(running).not.toBeNull();
    expect(electron.app.sandboxed).toBe(true);
    const win = electron.BrowserWindow.all[0]!;
    expect((win.options['webPreferences'] as Record<string, unknown>)['preload']).toBe(join('/app/out/main', '../preload/index.cjs'));
    expect(win.loaded).toEqual({ file: join('/app/out/main', '../renderer/index.html') });
    // Another instance was started: this window comes to the front.
    win.minimized = true;
    electron.app.emit('second-instance');
    expect([win.minimized, win.focused]).toEqual([false, 1]);

    await launcher.launchedTimes('feed-0', 1);
    await running!.supervisor.status();
    launcher.latest('feed-0').goLive();
    // The page asks for its port through the preload's channel.
    const nonce = 'N'.repeat(24);
    electron.ipcMain.emit(CHANNEL_PORT_REQUEST, trustedEvent(win), nonce);
    const posted = win.webContents.mainFrame.posted.at(-1)!;
    expect(posted.message).toEqual({ nonce });
    const page = new Peer(pagePort(posted.transfer[0] as electron.FakeMessagePort), { hello: { protocolVersion: PROTOCOL_VERSION, build: 'b', role: 'renderer', name: 'page' } });
    expect((await page.ready()).name).toBe('electron-main');
    const st = await page.call('status.get', {});
    expect(st.symbols.map((s) => `${s.symbol} ${s.state}`).sort()).toEqual(data.map((d) => `${d.status.symbol} live`).sort());
    expect(st.processes.map((p) => p.name)).toEqual(['feed-0']);

    // Quit: the first before-quit is held until the feed processes stopped, then quits for real.
    electron.app.quit();
    expect(electron.app.quitPrevented).toBe(true);
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (launcher.launched.every((p) => p.exited)) {
          clearInterval(t);
          resolve();
        }
      }, 5);
    });
    await new Promise((r) => setTimeout(r, 0));
    expect(launcher.launched.every((p) => p.exited?.code === 0)).toBe(true);
    expect(electron.app.quits).toBeGreaterThanOrEqual(2);
  });
});
