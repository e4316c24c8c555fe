/**
 * The Electron shell: one instance per user, the supervisor running the feed processes as
 * utility processes, one hardened console window that gets its engine port through the preload.
 * Everything the shell does beyond wiring lives in plain modules (hosts/, engine/) that the
 * headless host runs too.
 */
import { app, BrowserWindow, dialog, session } from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROTOCOL_VERSION } from '../../src-shared/contracts/engineApi.ts';
import { Peer } from '../../src-shared/contracts/rpc.ts';
import type { Port } from '../../src-shared/contracts/rpc.ts';
import { buildId } from '../hosts/buildInfo.ts';
import { dataPaths, effectiveConfig, loadConfig, redactConfig, resolveDataDir } from '../hosts/config.ts';
import { DiagnosticsService, MetricsHistory, supervisorEngine } from '../hosts/diagnosticsHost.ts';
import { planProcesses } from '../hosts/processPlan.ts';
import { Supervisor } from '../hosts/supervisor.ts';
import type { ProcessLauncher } from '../hosts/supervisor.ts';
import { registerPortBroker } from './portBroker.ts';
import { appUrlCheck, hardenContents, hardenSession, isTrustedSender } from './security.ts';
import { utilityLauncher } from './utilityLauncher.ts';
import { createMainWindow } from './window.ts';

export interface AppPaths {
  /** Folder of the bundled main process (out/main): feed.js sits beside index.js. */
  mainDir: string;
  /** The dev server URL electron-vite sets in development, else undefined. */
  devUrl?: string;
}

export interface RunningApp {
  supervisor: Supervisor;
  window: BrowserWindow;
  /** Connect a console view (what the port broker does for each page request). */
  connectView(port: Port): Peer;
}

function configArg(argv: readonly string[]): string | undefined {
  const i = argv.indexOf('--config');
  if (i >= 0) return argv[i + 1];
  return argv.find((a) => a.startsWith('--config='))?.slice('--config='.length);
}

/**
 * Start the shell. Resolves with the running app, or null when another instance already runs
 * (that one is focused instead) or the configuration is invalid (a dialog says why).
 */
export async function runApp(paths: AppPaths, launcher?: ProcessLauncher): Promise<RunningApp | null> {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return null;
  }
  app.enableSandbox();
  const pageFile = join(paths.mainDir, '../renderer/index.html');
  const pageUrl = paths.devUrl ?? pathToFileURL(pageFile).href;
  const isAppUrl = appUrlCheck(pageUrl);
  const log = (msg: string) => process.stderr.write(`${JSON.stringify({ ts: new Date().toISOString(), process: 'main', msg })}\n`);
  app.on('web-contents-created', (_e, wc) => hardenContents(wc, isAppUrl, log));
  let window: BrowserWindow | null = null;
  app.on('second-instance', () => {
    if (!window) return;
    if (window.isMinimized()) window.restore();
    window.focus();
  });

  await app.whenReady();
  hardenSession(session.defaultSession);
  const loaded = loadConfig(configArg(process.argv) !== undefined ? { file: configArg(process.argv)! } : {});
  if (!loaded.ok) {
    dialog.showErrorBox('Depthdesk: the configuration is invalid', `${loaded.source}\n\n${loaded.errors.join('\n')}\n\nSee docs/CONFIG.md.`);
    app.exit(2);
    return null;
  }
  const cfg = effectiveConfig(loaded.config);
  const build = buildId();
  const plan = planProcesses(cfg, cfg.venues, resolveDataDir(cfg));
  // The console's "Export diagnostics" (diagnosticsHost.ts): bundles go to <dataDir>/diagnostics.
  let diagnostics: DiagnosticsService | null = null;
  const supervisor = new Supervisor({
    launcher: launcher ?? utilityLauncher({ feed: join(paths.mainDir, 'feed.js') }),
    processes: plan.processes,
    policy: plan.policy,
    build,
    mode: 'live',
    config: () => ({ config: redactConfig(loaded.config), source: loaded.source }),
    diagnostics: (p) => diagnostics!.export(p),
  });
  const history = new MetricsHistory(() => supervisor.cachedStatus());
  diagnostics = new DiagnosticsService({
    engine: supervisorEngine(supervisor),
    config: () => ({ config: redactConfig(loaded.config), source: loaded.source }),
    build,
    startedMs: Date.now(),
    paths: dataPaths(cfg),
    history,
    maxBytes: cfg.diagnostics.maxMiB * 2 ** 20,
    onProgress: (p) => supervisor.announce(p),
  });

  const connectView = (port: Port): Peer => {
    let peer: Peer | null = null;
    const att = supervisor.attach({
      emit: (topic, data) => {
        if (!peer || peer.isClosed) return false;
        peer.emit(topic, data);
        return true;
      },
    });
    peer = new Peer(port, { hello: { protocolVersion: PROTOCOL_VERSION, build, role: 'host', name: 'electron-main', pid: process.pid }, handlers: att.handlers });
    port.onClose(() => att.detach());
    return peer;
  };
  registerPortBroker({
    isTrustedSender: (e) => isTrustedSender(e, BrowserWindow.getAllWindows(), isAppUrl),
    connect: (port) => void connectView(port),
    log,
  });
  window = createMainWindow({
    preload: join(paths.mainDir, '../preload/index.cjs'),
    page: paths.devUrl !== undefined ? { url: paths.devUrl } : { file: pageFile },
    isAppUrl,
    build,
    log,
  });

  let stopped = false;
  app.on('window-all-closed', () => app.quit());
  app.on('before-quit', (e) => {
    if (stopped) return;
    // Stop the feed processes in order (publisher end-of-session, sockets closed) before leaving.
    e.preventDefault();
    stopped = true;
    history.stop();
    void supervisor.stop().finally(() => app.quit());
  });
  void supervisor.start().then(() => history.start());
  return { supervisor, window, connectView };
}
