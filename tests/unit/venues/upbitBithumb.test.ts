import { describe, expect, it } from 'vitest';
import { loadRecording } from '../../../src-main/engine/replay/recording.ts';
import { upbit, quoteBaseInstrument } from '../../../src-main/engine/venues/upbit/upbitSpec.ts';
import { upbitTimeToMs } from '../../../src-main/engine/venues/upbit/upbitSession.ts';
import { bithumb, bithumbInstrument, BITHUMB_LEGACY_WS_URL } from '../../../src-main/engine/venues/bithumb/bithumbSpec.ts';
import { kstToEpochMs } from '../../../src-main/engine/venues/bithumb/bithumbSession.ts';
import { VENUES, venueForUrl } from '../../../src-main/engine/venues/registry.ts';
import { formatScaled } from '../../../src-shared/model/decimal.ts';
import type { ConnectionPlan, VenueSpec } from '../../../src-main/engine/venues/venue.ts';
import { dataPath } from '../../support/data.ts';
import { sessionHarness } from '../../support/sessionHarness.ts';

const UPBIT = 'upbit/cryptofeed_orderbook+trade_2021-04-17.ndjson';

/** SIMPLE abbreviations and their DEFAULT names (Upbit websocket-orderbook / websocket-trade docs). */
const DEFAULT_NAMES: Record<string, string> = {
  ty: 'type', cd: 'code', tms: 'timestamp', tas: 'total_ask_size', tbs: 'total_bid_size', obu: 'orderbook_units',
  ap: 'ask_price', bp: 'bid_price', as: 'ask_size', bs: 'bid_size', st: 'stream_type',
  tp: 'trade_price', tv: 'trade_volume', ab: 'ask_bid', ttms: 'trade_timestamp', sid: 'sequential_id',
};

/** A recorded SIMPLE frame rewritten with DEFAULT field names, values untouched (text substitution). */
function toDefault(raw: string): string {
  return raw.replace(/"([a-z]+)":/g, (m, k: string) => (DEFAULT_NAMES[k] ? `"${DEFAULT_NAMES[k]}":` : m));
}

async function upbitFrames(): Promise<string[]> {
  return (await loadRecording(dataPath(UPBIT))).filter((r) => r.dir === 'recv').map((r) => r.raw);
}

function finalBooks(spec: VenueSpec, frames: string[]): Map<string, string> {
  const h = sessionHarness(spec);
  h.feed(frames);
  const out = new Map<string, string>();
  for (const [sym, sb] of h.books) {
    const b = sb.book;
    if (b.levelCount() === 0) continue;
    out.set(sym, `${sb.state} ${formatScaled(b.bids.bestPrice(), b.priceScale)} ${formatScaled(b.asks.bestPrice(), b.priceScale)} ${b.levelCount()} ${sb.counters.applied}`);
  }
  return out;
}

describe('Upbit naming and frames', () => {
  it('flips QUOTE-BASE codes', () => {
    expect(quoteBaseInstrument('upbit', 'KRW-BTC')).toMatchObject({ symbol: 'BTC-KRW', base: 'BTC', quote: 'KRW', kind: 'spot' });
    expect(upbit.instrument('btc-xtz').symbol).toBe('XTZ-BTC');
    expect(VENUES.get('upbit')).toBe(upbit);
    expect(venueForUrl('wss://api.upbit.com/websocket/v1')).toBe(upbit);
  });

  it('subscribes orderbook and trade for every code in one request, keeps alive with PING', () => {
    const h = sessionHarness(upbit, ['KRW-BTC', 'BTC-XTZ']);
    h.session.onOpen();
    expect(h.sent.map((f) => JSON.parse(f))).toEqual([[{ ticket: 'depthdesk-upbit#0' }, { type: 'orderbook', codes: ['KRW-BTC', 'BTC-XTZ'] }, { type: 'trade', codes: ['KRW-BTC', 'BTC-XTZ'] }, { format: 'DEFAULT' }]]);
    expect(h.session.keepalive?.frame()).toBe('PING');
  });

  it('reads DEFAULT and *_LIST formats exactly as SIMPLE: the recorded frames renamed give the same books', async () => {
    const simple = await upbitFrames();
    const expected = finalBooks(upbit, simple);
    expect(expected.size).toBe(5);
    expect(finalBooks(upbit, simple.map(toDefault))).toEqual(expected);
    expect(finalBooks(upbit, simple.map((f) => `[${f}]`))).toEqual(expected);
  });

  it('normalises millisecond and microsecond timestamps by length', () => {
    expect(upbitTimeToMs('1618678262640')).toBe(1618678262640);
    expect(upbitTimeToMs('1618678262640123')).toBe(1618678262640);
    expect(upbitTimeToMs(undefined)).toBe(0);
  });
});

describe('Bithumb naming and frames', () => {
  it('names v1 codes and legacy symbols alike', () => {
    expect(bithumbInstrument('KRW-BTC').symbol).toBe('BTC-KRW');
    expect(bithumbInstrument('BTC_KRW')).toMatchObject({ symbol: 'BTC-KRW', base: 'BTC', quote: 'KRW', venueSymbol: 'BTC_KRW' });
    expect(bithumbInstrument('ETH_BTC').symbol).toBe('ETH-BTC');
    expect(VENUES.get('bithumb')).toBe(bithumb);
    expect(venueForUrl('wss://pubwss.bithumb.com/pub/ws')).toBe(bithumb);
    expect(venueForUrl('wss://ws-api.bithumb.com/websocket/v1')).toBe(bithumb);
  });

  it('subscribes the v1 protocol, or only trades on the legacy feed (its book stream is not syncable)', () => {
    const v1 = sessionHarness(bithumb, ['KRW-BTC']);
    v1.session.onOpen();
    expect(JSON.parse(v1.sent[0]!)).toEqual([{ ticket: 'depthdesk-bithumb#0' }, { type: 'orderbook', codes: ['KRW-BTC'] }, { type: 'trade', codes: ['KRW-BTC'] }, { format: 'DEFAULT' }]);
    const legacyPlan: ConnectionPlan = { id: 'bithumb#0', url: BITHUMB_LEGACY_WS_URL, venueSymbols: ['BTC_KRW'] };
    const legacy = sessionHarness({ ...bithumb, plan: () => [legacyPlan] }, ['BTC_KRW']);
    legacy.session.onOpen();
    expect(legacy.sent).toEqual(['{"type":"transaction","symbols":["BTC_KRW"]}']);
  });

  it('v1 is the Upbit protocol: recorded Upbit frames build the same books in a Bithumb session', async () => {
    // No Bithumb v1 recording exists; the documented clone is proven on Upbit's frames.
    const frames = await upbitFrames();
    expect(finalBooks(bithumb, frames)).toEqual(finalBooks(upbit, frames));
  });

  it('reads legacy contDtm as Korea time (UTC+9)', () => {
    expect(kstToEpochMs('2021-06-02 08:43:34.555058')).toBe(Date.UTC(2021, 5, 1, 23, 43, 34, 555));
    expect(kstToEpochMs('2021-06-02 00:00:00')).toBe(Date.UTC(2021, 5, 1, 15, 0, 0, 0));
    expect(kstToEpochMs('yesterday')).toBe(0);
  });
});
