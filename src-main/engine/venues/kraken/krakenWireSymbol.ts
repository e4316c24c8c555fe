/**
 * Kraken spot pair names on the two WebSocket protocols.
 *
 * v1 pairs use Kraken's legacy asset codes (XBT for bitcoin, XDG for dogecoin); v2 uses the common
 * codes and refuses the legacy ones ("Currency pair not supported XBT/USD",
 * https://docs.kraken.com/api/docs/websocket-v2/trade; "Symbol format XBT/USD -> BTC/USD",
 * https://docs.kraken.com/exchange/api-reference/spot-websocket).
 */

/** Legacy asset codes and their common names (the v2 codes). */
const ASSET_ALIASES: Readonly<Record<string, string>> = { XBT: 'BTC', XDG: 'DOGE' };

/** The common name of a Kraken asset code ("XBT" -> "BTC"). */
export function krakenAsset(code: string): string {
  return ASSET_ALIASES[code] ?? code;
}

/** The pair as a protocol names it: v2 wants BTC/DOGE, v1 keeps what was configured. */
export function krakenWireSymbol(pair: string, protocol: 'v1' | 'v2'): string {
  const p = pair.toUpperCase();
  if (protocol === 'v1') return p;
  const slash = p.indexOf('/');
  if (slash < 0) return krakenAsset(p);
  return `${krakenAsset(p.slice(0, slash))}/${krakenAsset(p.slice(slash + 1))}`;
}
