/**
 * Where the headless host's WebSocket bridge lives, as seen from the console page it serves.
 * Shared by the host (which serves the page and accepts the upgrade) and the renderer (which
 * derives the bridge URL from its own location), so neither side hand-copies the path or the
 * name of the token parameter.
 *
 * The host prints `http://127.0.0.1:<port>/?token=<random>`; the page opens
 * `ws://127.0.0.1:<port>/bridge?token=<random>` and speaks the engine contract (one JSON
 * `Envelope` per text frame, starting with `hello`). The token travels in the query string because
 * browsers cannot set headers on a WebSocket handshake.
 */

/** Path of the WebSocket upgrade on the headless host. */
export const BRIDGE_WS_PATH = '/bridge';

/** Query parameter carrying the access token, on the page URL and on the bridge URL. */
export const TOKEN_PARAM = 'token';

/** Optional page query parameter naming another bridge URL (a host behind a proxy, tests). */
export const BRIDGE_PARAM = 'bridge';

export type BridgeUrlResult = { ok: true; url: string; display: string } | { ok: false; reason: string };

/**
 * The bridge URL for a page URL: same host and port, ws: for http: and wss: for https:, the
 * page's token appended. `display` is the same URL with the token masked, for the UI and logs.
 */
export function bridgeUrlFor(pageUrl: string): BridgeUrlResult {
  let page: URL;
  try {
    page = new URL(pageUrl);
  } catch {
    return { ok: false, reason: `the page address "${pageUrl}" is not a URL` };
  }
  const token = page.searchParams.get(TOKEN_PARAM) ?? new URLSearchParams(page.hash.replace(/^#/, '')).get(TOKEN_PARAM);
  if (token === null || token === '') {
    return { ok: false, reason: `the page address has no ?${TOKEN_PARAM}=: open the exact URL the host printed (npx depthdesk serve)` };
  }
  const override = page.searchParams.get(BRIDGE_PARAM);
  let target: URL;
  if (override !== null && override !== '') {
    try {
      target = new URL(override, page);
    } catch {
      return { ok: false, reason: `?${BRIDGE_PARAM}=${override} is not a URL` };
    }
    if (target.protocol === 'http:') target.protocol = 'ws:';
    else if (target.protocol === 'https:') target.protocol = 'wss:';
  } else {
    if (page.protocol !== 'http:' && page.protocol !== 'https:') {
      return { ok: false, reason: `a page loaded over ${page.protocol} cannot reach the headless bridge; pass ?${BRIDGE_PARAM}=ws://host:port${BRIDGE_WS_PATH}` };
    }
    target = new URL(BRIDGE_WS_PATH, page);
    target.protocol = page.protocol === 'https:' ? 'wss:' : 'ws:';
  }
  if (target.protocol !== 'ws:' && target.protocol !== 'wss:') return { ok: false, reason: `bridge URL ${target.href} is not ws: or wss:` };
  target.search = '';
  target.hash = '';
  target.searchParams.set(TOKEN_PARAM, token);
  const display = new URL(target.href);
  display.searchParams.set(TOKEN_PARAM, '•••');
  return { ok: true, url: target.href, display: display.href.replace(encodeURIComponent('•••'), '•••') };
}
