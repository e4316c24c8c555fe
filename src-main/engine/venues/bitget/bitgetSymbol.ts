/**
 * Bitget venue symbols and the wire's (instType, instId) pairs.
 *
 * Spot and futures share instIds on the wire ("BTCUSDT" is both a spot pair and a USDT-M
 * perpetual) and live under the one `bitget` venue id, so futures books carry Bitget's own v1
 * product-type suffix: "_UMCBL" USDT-margined, "_DMCBL" coin-margined, "_CMCBL" USDC-margined
 * (the v1 REST product ids, e.g. BTCUSDT_UMCBL). Spot keeps the bare instId.
 *
 * instType on the wire: v2 "SPOT" / "USDT-FUTURES" / "COIN-FUTURES" / "USDC-FUTURES"
 * (https://www.bitget.com/api-doc/common/websocket-intro); v1 "SP" / "MC" in requests, echoed
 * lower-case ("sp" / "mc") in pushes, with MC covering every margin type (told apart by the
 * quote: USDT, USD or PERP for USDC contracts).
 */

export type BitgetDialect = 'v1' | 'v2';

export interface BitgetWireArg {
  instType: string;
  instId: string;
}

const SUFFIX_BY_V2: Record<string, string> = { 'USDT-FUTURES': '_UMCBL', 'COIN-FUTURES': '_DMCBL', 'USDC-FUTURES': '_CMCBL' };
const V2_BY_SUFFIX: Record<string, string> = { _UMCBL: 'USDT-FUTURES', _DMCBL: 'COIN-FUTURES', _CMCBL: 'USDC-FUTURES' };

/** v1 `mc` instIds: the margin type follows from the quote. */
function v1MixSuffix(instId: string): string {
  if (instId.endsWith('USDT')) return '_UMCBL';
  if (instId.endsWith('PERP')) return '_CMCBL';
  return '_DMCBL';
}

/** The venue symbol of a pushed (instType, instId), or undefined for an unknown instType. */
export function bitgetVenueSymbol(instType: string, instId: string): string | undefined {
  const t = instType.toUpperCase();
  const id = instId.toUpperCase();
  if (t === 'SP' || t === 'SPOT') return id;
  if (t === 'MC') return id + v1MixSuffix(id);
  const suffix = SUFFIX_BY_V2[t];
  return suffix === undefined ? undefined : id + suffix;
}

/** Split a venue symbol into its instId and product suffix ("" for spot). */
export function splitBitgetSymbol(venueSymbol: string): { instId: string; suffix: string } {
  const m = /^(.*)(_UMCBL|_DMCBL|_CMCBL)$/.exec(venueSymbol.toUpperCase());
  return m ? { instId: m[1]!, suffix: m[2]! } : { instId: venueSymbol.toUpperCase(), suffix: '' };
}

/** The subscription arg for a venue symbol in one dialect. */
export function bitgetWireArg(venueSymbol: string, dialect: BitgetDialect): BitgetWireArg {
  const { instId, suffix } = splitBitgetSymbol(venueSymbol);
  if (dialect === 'v1') return { instType: suffix === '' ? 'SP' : 'MC', instId };
  return { instType: suffix === '' ? 'SPOT' : V2_BY_SUFFIX[suffix]!, instId };
}
