/**
 * The preload API the Electron shell exposes to the console page as `window.depthdesk`
 * (contextBridge.exposeInMainWorld). Narrow and domain-shaped on purpose: the page never gets
 * ipcRenderer or a generic send/invoke (house-style "Boundaries and contracts"; the pattern of
 * Signal Desktop's and electron/fiddle's typed preloads).
 *
 * MessagePorts cannot cross contextBridge, so the engine port reaches the page the way Electron
 * documents for context-isolated pages (https://www.electronjs.org/docs/latest/tutorial/message-ports#communicating-directly-between-the-main-process-and-the-main-world-of-a-context-isolated-page):
 * the page calls `requestEnginePort()`, which returns a one-time nonce; the preload then posts
 * `{ type: ENGINE_PORT_MESSAGE, nonce }` to the page with `window.postMessage(data, origin, [port])`.
 * The page accepts exactly one port per nonce, only from its own window, and ignores everything
 * else (a script injected into a frame cannot hand the page a port of its own).
 *
 * On that port both ends speak the engine contract (`Envelope`s of engineApi.ts, structured-clone
 * objects, no JSON), starting with `hello`.
 */

/** Property name on `window` under which the preload exposes `PreloadApi`. */
export const PRELOAD_GLOBAL = 'depthdesk';

/** `data.type` of the window message that carries the engine MessagePort in `event.ports[0]`. */
export const ENGINE_PORT_MESSAGE = 'depthdesk:engine-port';

export interface EnginePortMessage {
  type: typeof ENGINE_PORT_MESSAGE;
  /** The nonce `requestEnginePort()` returned; any other value is ignored by the page. */
  nonce: string;
}

/** Bumped when the preload API changes incompatibly; the page refuses an API it does not know. */
export const PRELOAD_API_VERSION = 1;

export interface PreloadApi {
  readonly apiVersion: number;
  /** Build id of the shell (shown in the console's header and diagnostics). */
  readonly build: string;
  /** process.platform of the shell ("win32", "linux", ...), for keyboard hints and paths. */
  readonly platform: string;
  /**
   * Ask the main process for a new engine port. Resolves with a one-time nonce before the port
   * is posted; a second call invalidates the previous nonce. The page calls it again after its
   * port was closed (the engine host restarted), so reconnection works the same way as the first
   * connection.
   */
  requestEnginePort(): Promise<string>;
}

/** True when `v` looks like the preload API this page was built against. */
export function isPreloadApi(v: unknown): v is PreloadApi {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return o['apiVersion'] === PRELOAD_API_VERSION && typeof o['requestEnginePort'] === 'function' && typeof o['build'] === 'string';
}

/** True when window message data is an engine-port announcement (the nonce is checked by the caller). */
export function isEnginePortMessage(v: unknown): v is EnginePortMessage {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return o['type'] === ENGINE_PORT_MESSAGE && typeof o['nonce'] === 'string';
}
