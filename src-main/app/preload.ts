/**
 * The preload of the console window: runs sandboxed, with context isolation, and exposes exactly
 * `PreloadApi` (src-shared/contracts/preloadApi.ts) as `window.depthdesk`: no ipcRenderer, no
 * generic send/invoke, no Node. MessagePorts cannot cross contextBridge, so the engine port is
 * re-posted to the page with the one-time nonce the page got from `requestEnginePort()`
 * (https://www.electronjs.org/docs/latest/tutorial/message-ports); a port for any other nonce, or a
 * second port for the same nonce, is dropped.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { ENGINE_PORT_MESSAGE, PRELOAD_API_VERSION, PRELOAD_GLOBAL } from '../../src-shared/contracts/preloadApi.ts';
import type { EnginePortMessage, PreloadApi } from '../../src-shared/contracts/preloadApi.ts';
import { BUILD_ARG, CHANNEL_PORT, CHANNEL_PORT_REQUEST } from './ipcChannels.ts';

/** The page's window as the preload uses it (this tsconfig has no DOM library: the preload touches only this). */
declare const window: { postMessage(message: unknown, targetOrigin: string, transfer?: readonly unknown[]): void };

let pending: string | null = null;

function newNonce(): string {
  const bytes = new Uint8Array(18);
  crypto.getRandomValues(bytes);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_');
}

ipcRenderer.on(CHANNEL_PORT, (event, msg: unknown) => {
  const nonce = typeof msg === 'object' && msg !== null ? (msg as { nonce?: unknown }).nonce : undefined;
  if (typeof nonce !== 'string' || nonce !== pending || event.ports.length !== 1) return;
  pending = null;
  const data: EnginePortMessage = { type: ENGINE_PORT_MESSAGE, nonce };
  // Posted to this window only (not to any frame); "*" because a file:// page has an opaque origin.
  window.postMessage(data, '*', event.ports);
});

const api: PreloadApi = {
  apiVersion: PRELOAD_API_VERSION,
  build: process.argv.find((a) => a.startsWith(BUILD_ARG))?.slice(BUILD_ARG.length) ?? 'unknown',
  platform: process.platform,
  requestEnginePort(): Promise<string> {
    const nonce = newNonce();
    pending = nonce;
    ipcRenderer.send(CHANNEL_PORT_REQUEST, nonce);
    return Promise.resolve(nonce);
  },
};

contextBridge.exposeInMainWorld(PRELOAD_GLOBAL, api);
