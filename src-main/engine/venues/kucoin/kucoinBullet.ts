/**
 * KuCoin's WebSocket handshake: `POST /api/v1/bullet-public` returns a token and the servers to
 * connect to; the socket URL is `endpoint?token=...&connectId=...`, and the server's `welcome`
 * frame confirms it. The token is only valid for one connection attempt window (24 h), so it is
 * fetched before every connect.
 *
 * Docs: https://www.kucoin.com/docs/websocket/basic-info/apply-connect-token/public-token-no-authentication-required-
 * and https://www.kucoin.com/docs/websocket/basic-info/create-connection (venues.md section 14.2).
 * Response: `{"code":"200000","data":{"token":"...","instanceServers":[{"endpoint":
 * "wss://ws-api-spot.kucoin.com/","encrypt":true,"protocol":"websocket","pingInterval":18000,
 * "pingTimeout":10000}]}}`.
 */

export const KUCOIN_BULLET_URL = 'https://api.kucoin.com/api/v1/bullet-public';

export type KucoinBullet =
  | { ok: true; url: string; pingIntervalMs: number; pingTimeoutMs: number }
  | { ok: false; code: 'http' | 'venue' | 'body'; message: string };

interface BulletBody {
  code?: string;
  msg?: string;
  data?: { token?: string; instanceServers?: { endpoint?: string; pingInterval?: number; pingTimeout?: number }[] };
}

/** Read a bullet-public response body into the socket URL to open. Never throws. */
export function kucoinBulletFromBody(body: string, connectId: string): KucoinBullet {
  let b: BulletBody;
  try {
    b = JSON.parse(body) as BulletBody;
  } catch {
    return { ok: false, code: 'body', message: `bullet-public answered ${body.length} bytes that are not JSON` };
  }
  if (b?.code !== '200000') return { ok: false, code: 'venue', message: `bullet-public code ${b?.code ?? '?'}: ${b?.msg ?? ''}` };
  const token = b.data?.token;
  // KuCoin hands out wss:// servers; a local replay server answers with its own ws:// endpoint.
  const server = b.data?.instanceServers?.find((s) => typeof s.endpoint === 'string' && /^wss?:\/\//.test(s.endpoint));
  if (typeof token !== 'string' || token === '' || server?.endpoint === undefined) {
    return { ok: false, code: 'body', message: 'bullet-public gave no token or no WebSocket instance server' };
  }
  const url = new URL(server.endpoint);
  url.searchParams.set('token', token);
  url.searchParams.set('connectId', connectId);
  return {
    ok: true,
    url: url.toString(),
    pingIntervalMs: typeof server.pingInterval === 'number' && server.pingInterval > 0 ? server.pingInterval : 18_000,
    pingTimeoutMs: typeof server.pingTimeout === 'number' && server.pingTimeout > 0 ? server.pingTimeout : 10_000,
  };
}

/**
 * Ask KuCoin (or a local replay server at `bulletUrl`) for a public token. Network and venue
 * failures come back as `{ ok: false }` with the reason.
 */
export async function fetchKucoinBullet(connectId: string, bulletUrl = KUCOIN_BULLET_URL, signal?: AbortSignal): Promise<KucoinBullet> {
  let res: Response;
  try {
    res = await fetch(bulletUrl, { method: 'POST', ...(signal ? { signal } : {}) });
  } catch (e) {
    return { ok: false, code: 'http', message: `bullet-public request failed: ${(e as Error).message}` };
  }
  const body = await res.text().catch(() => '');
  if (!res.ok) return { ok: false, code: 'http', message: `bullet-public HTTP ${res.status}${body ? `: ${body.slice(0, 200)}` : ''}` };
  return kucoinBulletFromBody(body, connectId);
}
