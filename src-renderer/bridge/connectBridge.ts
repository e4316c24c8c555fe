/**
 * Pick the transport for where the page runs: inside the Electron shell the preload API is
 * present and the engine comes through a MessagePort; in a browser served by the headless host
 * the page's own address carries the token for the WebSocket bridge.
 */
import { bridgeUrlFor } from '../../src-shared/contracts/bridgeUrl.ts';
import { isPreloadApi, PRELOAD_GLOBAL } from '../../src-shared/contracts/preloadApi.ts';
import { Bridge } from './bridge.ts';
import type { BridgeOptions } from './bridge.ts';
import { messagePortTransport } from './messagePortTransport.ts';
import { webSocketTransport } from './webSocketTransport.ts';

/** Build id of this console bundle (the engine logs it from our hello). */
export const CONSOLE_BUILD = 'console-1';

export type BridgeChoice = { ok: true; bridge: Bridge } | { ok: false; reason: string };

export function createBridgeFor(win: Window, opts: Partial<BridgeOptions> = {}): BridgeChoice {
  const api = (win as unknown as Record<string, unknown>)[PRELOAD_GLOBAL];
  if (api !== undefined) {
    if (!isPreloadApi(api)) return { ok: false, reason: 'the Electron shell exposes a preload API this console does not know (different builds): reinstall the app' };
    return { ok: true, bridge: new Bridge(messagePortTransport({ api, win }), { build: `${CONSOLE_BUILD}+${api.build}`, ...opts }) };
  }
  const url = bridgeUrlFor(win.location.href);
  if (!url.ok) return { ok: false, reason: url.reason };
  return { ok: true, bridge: new Bridge(webSocketTransport({ url: url.url, display: url.display }), { build: CONSOLE_BUILD, ...opts }) };
}
