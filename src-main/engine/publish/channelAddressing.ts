/**
 * Where each OBMC channel lives on the network, and which channel an instrument belongs to.
 *
 * Derivation (docs/PROTOCOLS.md "Addressing"): the configuration names one base endpoint
 * (group G, port P). Channel c (channelId >= 1) uses the pair
 *   incremental   group G + 2(c-1),     port P + 2(c-1)
 *   snapshot loop group G + 2(c-1) + 1, port P + 2(c-1) + 1
 * so every group has its own port (on Linux a socket bound to 0.0.0.0 receives every joined
 * group on its port, design 3.2), the ports of K channels form one contiguous range that a single
 * firewall rule covers (design 3.3), and consecutive addresses never alias to one Ethernet MAC
 * (only the low 23 bits map to the MAC, design 2.1). A receiver given a channel's incremental
 * endpoint finds its snapshot loop at (group + 1, port + 1).
 */
import type { Instrument, VenueId } from '../../../src-shared/model/market.ts';
import { instrumentKey } from '../../../src-shared/model/market.ts';

export interface Endpoint {
  group: string;
  port: number;
}

export interface ChannelEndpoints {
  channelId: number;
  incremental: Endpoint;
  snapshot: Endpoint;
}

/** Dotted IPv4 to a u32; NaN when malformed. */
export function ipv4ToInt(addr: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(addr);
  if (!m) return Number.NaN;
  let v = 0;
  for (let i = 1; i <= 4; i++) {
    const o = Number(m[i]);
    if (o > 255) return Number.NaN;
    v = v * 256 + o;
  }
  return v;
}

export function intToIpv4(v: number): string {
  return `${(v >>> 24) & 0xff}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
}

/**
 * True for an IPv4 multicast address a publisher may use: 224.0.0.0/4 minus the link-local
 * control block 224.0.0.0/24, which routers and IGMP own (design 2.1).
 */
export function isUsableMulticast(addr: string): boolean {
  const v = ipv4ToInt(addr);
  if (Number.isNaN(v)) return false;
  return v >= 0xe0000100 && v <= 0xefffffff;
}

/** Endpoint `offset` steps after `base` (group and port move together). */
export function offsetEndpoint(base: Endpoint, offset: number): Endpoint {
  return { group: intToIpv4(ipv4ToInt(base.group) + offset), port: base.port + offset };
}

export function channelEndpoints(base: Endpoint, channelId: number): ChannelEndpoints {
  const k = 2 * (channelId - 1);
  return { channelId, incremental: offsetEndpoint(base, k), snapshot: offsetEndpoint(base, k + 1) };
}

/** The snapshot loop that belongs to an incremental endpoint. */
export function snapshotEndpointFor(incremental: Endpoint): Endpoint {
  return offsetEndpoint(incremental, 1);
}

/** Problems with a channel's addresses (empty when usable). */
export function endpointProblems(e: ChannelEndpoints): string[] {
  const out: string[] = [];
  for (const [role, ep] of [['incremental', e.incremental], ['snapshot', e.snapshot]] as const) {
    if (!isUsableMulticast(ep.group)) out.push(`channel ${e.channelId} ${role} group ${ep.group} is not a usable IPv4 multicast address`);
    if (!Number.isInteger(ep.port) || ep.port < 1 || ep.port > 65535) out.push(`channel ${e.channelId} ${role} port ${ep.port} is out of range`);
  }
  return out;
}

/**
 * Channel per venue when grouping by venue. Fixed numbers (not order of appearance) so that a
 * desk's firewall rule and saved listen commands stay valid across restarts; the Record type
 * makes the compiler insist on an entry for every venue. A new venue takes the next free number:
 * numbers are never reused or reordered.
 */
export const VENUE_CHANNEL: Record<VenueId, number> = {
  'binance-spot': 1,
  'binance-usdm': 2,
  'binance-coinm': 3,
  okx: 4,
  'bybit-spot': 5,
  'bybit-linear': 6,
  coinbase: 7,
  kraken: 8,
  'kraken-futures': 9,
  deribit: 10,
  upbit: 11,
  bithumb: 12,
  bitget: 13,
  gate: 14,
  kucoin: 15,
  bitfinex: 16,
  bitmex: 17,
  hyperliquid: 18,
  'binance-us': 19,
  'coinbase-exchange': 20,
  'bybit-legacy': 21,
};

/** Highest channel id of the venue grouping (its address range must stay multicast). */
export const MAX_VENUE_CHANNEL = Math.max(...Object.values(VENUE_CHANNEL));

/** A configured channel: instruments listed by key ("venue:venueSymbol") and/or whole venues. */
export interface ChannelConfig {
  channelId: number;
  venues?: VenueId[];
  instruments?: string[];
}

export type ChannelGrouping = 'venue' | ChannelConfig[];

/** The channel an instrument is published on, or undefined when no configured channel takes it. */
export function channelFor(grouping: ChannelGrouping, instrument: Instrument): number | undefined {
  if (grouping === 'venue') return VENUE_CHANNEL[instrument.venue];
  const key = instrumentKey(instrument.venue, instrument.venueSymbol);
  for (const c of grouping) if (c.instruments?.includes(key)) return c.channelId;
  for (const c of grouping) if (c.venues?.includes(instrument.venue)) return c.channelId;
  return undefined;
}
