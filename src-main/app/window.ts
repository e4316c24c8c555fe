/**
 * The console window: sandboxed renderer with context isolation and no Node, our preload only,
 * hardened contents (security.ts), shown once painted.
 */
import { BrowserWindow } from 'electron';
import type { AppUrlCheck } from './security.ts';
import { hardenContents } from './security.ts';
import { BUILD_ARG } from './ipcChannels.ts';

export interface MainWindowOptions {
  preload: string;
  /** A built page (file) or the dev server's URL. */
  page: { file: string } | { url: string };
  isAppUrl: AppUrlCheck;
  build: string;
  icon?: string;
  log?: (msg: string) => void;
}

export function createMainWindow(o: MainWindowOptions): BrowserWindow {
  const win = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    show: false,
    title: 'Depthdesk',
    backgroundColor: '#0b0f14',
    ...(o.icon !== undefined ? { icon: o.icon } : {}),
    webPreferences: {
      preload: o.preload,
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
      additionalArguments: [`${BUILD_ARG}${o.build}`],
    },
  });
  hardenContents(win.webContents, o.isAppUrl, o.log);
  win.once('ready-to-show', () => win.show());
  if ('file' in o.page) void win.loadFile(o.page.file);
  else void win.loadURL(o.page.url);
  return win;
}
