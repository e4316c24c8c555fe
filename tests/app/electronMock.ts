/**
 * A hand-written stand-in for the parts of `electron` the shell uses (the electron/fiddle
 * approach: tests/mocks/electron.ts), so the shell's wiring runs under plain Node where the
 * Electron binary cannot. Tests install it with `vi.mock('electron', () => import('./electronMock.ts'))`
 * and inspect `electronMock` to see what the shell asked Electron to do.
 */
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';

type Listener = (...args: unknown[]) => unknown;

class Emitter {
  readonly listeners = new Map<string, Listener[]>();
  on(event: string, fn: Listener): this {
    const l = this.listeners.get(event) ?? [];
    l.push(fn);
    this.listeners.set(event, l);
    return this;
  }
  once(event: string, fn: Listener): this {
    const wrap: Listener = (...a) => {
      this.off(event, wrap);
      return fn(...a);
    };
    return this.on(event, wrap);
  }
  off(event: string, fn: Listener): this {
    this.listeners.set(event, (this.listeners.get(event) ?? []).filter((x) => x !== fn));
    return this;
  }
  emit(event: string, ...args: unknown[]): unknown[] {
    return (this.listeners.get(event) ?? []).map((fn) => fn(...args));
  }
}

export class FakeFrame {
  url: string;
  readonly posted: { channel: string; message: unknown; transfer: unknown[] }[] = [];
  constructor(url: string) {
    this.url = url;
  }
  postMessage(channel: string, message: unknown, transfer: unknown[] = []): void {
    this.posted.push({ channel, message, transfer });
  }
}

export class FakeWebContents extends Emitter {
  mainFrame: FakeFrame;
  windowOpenHandler: ((d: { url: string }) => { action: string }) | null = null;
  constructor(url: string) {
    super();
    this.mainFrame = new FakeFrame(url);
  }
  setWindowOpenHandler(h: (d: { url: string }) => { action: string }): void {
    this.windowOpenHandler = h;
  }
  /** Fire an event that can be prevented; returns whether it was. */
  fire(event: string, ...args: unknown[]): boolean {
    let prevented = false;
    this.emit(event, { preventDefault: () => (prevented = true) }, ...args);
    return prevented;
  }
}

export class BrowserWindow extends Emitter {
  static readonly all: BrowserWindow[] = [];
  readonly options: Record<string, unknown>;
  readonly webContents: FakeWebContents;
  loaded: { file?: string; url?: string } = {};
  shown = false;
  focused = 0;
  minimized = false;
  constructor(options: Record<string, unknown>) {
    super();
    this.options = options;
    this.webContents = new FakeWebContents('about:blank');
    BrowserWindow.all.push(this);
    app.emit('web-contents-created', {}, this.webContents);
  }
  static fromWebContents(wc: unknown): BrowserWindow | null {
    return BrowserWindow.all.find((w) => w.webContents === wc) ?? null;
  }
  static getAllWindows(): BrowserWindow[] {
    return [...BrowserWindow.all];
  }
  loadFile(file: string): Promise<void> {
    this.loaded = { file };
    this.webContents.mainFrame.url = `file://${file}`;
    return Promise.resolve();
  }
  loadURL(url: string): Promise<void> {
    this.loaded = { url };
    this.webContents.mainFrame.url = url;
    return Promise.resolve();
  }
  show(): void {
    this.shown = true;
  }
  focus(): void {
    this.focused++;
  }
  isMinimized(): boolean {
    return this.minimized;
  }
  restore(): void {
    this.minimized = false;
  }
}

class AppMock extends Emitter {
  lock = true;
  quits = 0;
  exitCode: number | null = null;
  sandboxed = false;
  requestSingleInstanceLock(): boolean {
    return this.lock;
  }
  quit(): void {
    this.quits++;
    const prevented = this.emit('before-quit', { preventDefault: () => (this.quitPrevented = true) });
    void prevented;
  }
  quitPrevented = false;
  exit(code: number): void {
    this.exitCode = code;
  }
  enableSandbox(): void {
    this.sandboxed = true;
  }
  whenReady(): Promise<void> {
    return Promise.resolve();
  }
}
export const app = new AppMock();

class IpcMainMock extends Emitter {}
export const ipcMain = new IpcMainMock();

/** Two connected ports delivering asynchronously, like MessagePortMain. */
export class FakeMessagePort extends EventEmitter {
  other: FakeMessagePort | null = null;
  started = false;
  closed = false;
  postMessage(data: unknown): void {
    const o = this.other;
    if (this.closed || !o) return;
    const copy = structuredClone(data);
    setImmediate(() => {
      if (!o.closed) o.emit('message', { data: copy, ports: [] });
    });
  }
  start(): void {
    this.started = true;
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const o = this.other;
    setImmediate(() => {
      this.emit('close');
      if (o && !o.closed) {
        o.closed = true;
        o.emit('close');
      }
    });
  }
}

export class MessageChannelMain {
  readonly port1 = new FakeMessagePort();
  readonly port2 = new FakeMessagePort();
  constructor() {
    this.port1.other = this.port2;
    this.port2.other = this.port1;
  }
}

export const session = {
  defaultSession: {
    permissionRequest: null as null | ((wc: unknown, permission: string, cb: (ok: boolean) => void) => void),
    permissionCheck: null as null | ((...a: unknown[]) => boolean),
    headers: null as null | ((details: { responseHeaders: Record<string, string[]> }, cb: (r: { responseHeaders: Record<string, string[]> }) => void) => void),
    setPermissionRequestHandler(h: (wc: unknown, permission: string, cb: (ok: boolean) => void) => void) {
      this.permissionRequest = h;
    },
    setPermissionCheckHandler(h: (...a: unknown[]) => boolean) {
      this.permissionCheck = h;
    },
    webRequest: {
      onHeadersReceived(h: (details: { responseHeaders: Record<string, string[]> }, cb: (r: { responseHeaders: Record<string, string[]> }) => void) => void) {
        session.defaultSession.headers = h;
      },
    },
  },
};

export const dialog = {
  errors: [] as { title: string; content: string }[],
  showErrorBox(title: string, content: string) {
    this.errors.push({ title, content });
  },
};

export class FakeUtilityProcess extends EventEmitter {
  readonly modulePath: string;
  readonly args: string[];
  readonly options: Record<string, unknown>;
  pid: number | undefined = undefined;
  readonly sent: unknown[] = [];
  stdout = null;
  readonly stderr = new PassThrough();
  killed = 0;
  constructor(modulePath: string, args: string[], options: Record<string, unknown>) {
    super();
    this.modulePath = modulePath;
    this.args = args;
    this.options = options;
  }
  postMessage(m: unknown): void {
    this.sent.push(m);
  }
  kill(): boolean {
    this.killed++;
    return true;
  }
}

export const utilityProcess = {
  forks: [] as FakeUtilityProcess[],
  fork(modulePath: string, args: string[] = [], options: Record<string, unknown> = {}): FakeUtilityProcess {
    const p = new FakeUtilityProcess(modulePath, args, options);
    this.forks.push(p);
    return p;
  },
};

class IpcRendererMock extends Emitter {
  readonly sent: { channel: string; args: unknown[] }[] = [];
  send(channel: string, ...args: unknown[]): void {
    this.sent.push({ channel, args });
  }
}
export const ipcRenderer = new IpcRendererMock();

export const contextBridge = {
  exposed: new Map<string, unknown>(),
  exposeInMainWorld(key: string, api: unknown) {
    this.exposed.set(key, api);
  },
};

export default { app, BrowserWindow, ipcMain, MessageChannelMain, session, dialog, utilityProcess, ipcRenderer, contextBridge };
