/**
 * Hardening of every web contents and of the session (Electron security checklist:
 * https://www.electronjs.org/docs/latest/tutorial/security): no new windows, no navigation away
 * from the console page, no webviews, no permissions, a strict CSP on anything served over HTTP
 * (the packaged page is a file whose own meta CSP applies), and IPC accepted only from the main
 * frame of our own window showing our own page.
 */
import { BrowserWindow } from 'electron';
import type { Session, WebContents, WebFrameMain } from 'electron';

/** The page's policy when it comes over HTTP (electron-vite dev server); the engine comes over a MessagePort, so no network at all. */
export const ELECTRON_CSP = ["default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "font-src 'self'", "connect-src 'none'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'", "object-src 'none'"].join('; ');

/** Is `url` the console page (query and hash ignored)? */
export type AppUrlCheck = (url: string) => boolean;

export function appUrlCheck(pageUrl: string): AppUrlCheck {
  const strip = (u: string) => {
    try {
      const x = new URL(u);
      x.hash = '';
      x.search = '';
      return x.href;
    } catch {
      return null;
    }
  };
  const page = strip(pageUrl);
  return (url) => page !== null && strip(url) === page;
}

const hardened = new WeakSet<WebContents>();

/** Idempotent: the window hardens its contents and the app hardens every contents created. */
export function hardenContents(wc: WebContents, isAppUrl: AppUrlCheck, log: (msg: string) => void = () => {}): void {
  if (hardened.has(wc)) return;
  hardened.add(wc);
  wc.setWindowOpenHandler(({ url }) => {
    log(`refused to open a window for ${url}`);
    return { action: 'deny' };
  });
  wc.on('will-navigate', (e, url) => {
    if (isAppUrl(url)) return;
    e.preventDefault();
    log(`refused navigation to ${url}`);
  });
  wc.on('will-redirect', (e, url) => {
    if (isAppUrl(url)) return;
    e.preventDefault();
    log(`refused redirect to ${url}`);
  });
  wc.on('will-attach-webview', (e) => {
    e.preventDefault();
    log('refused to attach a webview');
  });
}

export function hardenSession(ses: Session, csp: string = ELECTRON_CSP): void {
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [csp] } });
  });
}

/** The fields of an IPC event that say who sent it. */
export interface IpcSender {
  sender: WebContents;
  senderFrame: WebFrameMain | null;
}

/**
 * Only the main frame of one of our windows, showing our page, may talk to the main process. A
 * frame that navigated elsewhere, an iframe, or any other web contents is refused.
 */
export function isTrustedSender(event: IpcSender, windows: readonly BrowserWindow[], isAppUrl: AppUrlCheck): boolean {
  const frame = event.senderFrame;
  if (frame === null) return false;
  const win = BrowserWindow.fromWebContents(event.sender);
  if (win === null || !windows.includes(win)) return false;
  if (frame !== event.sender.mainFrame) return false;
  return isAppUrl(frame.url);
}
