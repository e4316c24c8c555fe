import { describe, expect, it } from 'vitest';
import { hyperliquid, hyperliquidInstrument } from '../../../src-main/engine/venues/hyperliquid/hyperliquidSpec.ts';
import { VENUES, venueForUrl } from '../../../src-main/engine/venues/registry.ts';
import { sessionHarness } from '../../support/sessionHarness.ts';

describe('Hyperliquid naming and frames', () => {
  it('names perpetual coins, spot pairs, and keeps index and builder names', () => {
    expect(hyperliquidInstrument('BTC')).toMatchObject({ symbol: 'BTC-USDC-PERP', kind: 'perpetual', base: 'BTC', quote: 'USDC', inverse: false });
    expect(hyperliquidInstrument('PURR/USDC')).toMatchObject({ symbol: 'PURR-USDC', kind: 'spot' });
    expect(hyperliquidInstrument('@107')).toMatchObject({ symbol: '@107', kind: 'spot' });
    expect(hyperliquidInstrument('xyz:TSLA')).toMatchObject({ symbol: 'xyz:TSLA', kind: 'perpetual' });
  });

  it('is registered, claims /ws on the API host, and caps books at 20 levels', () => {
    expect(VENUES.get('hyperliquid')).toBe(hyperliquid);
    expect(venueForUrl('wss://api.hyperliquid.xyz/ws')).toBe(hyperliquid);
    expect(hyperliquid.recognizes!('https://api.hyperliquid.xyz/info')).toBe(false);
    expect(hyperliquid.depthCap).toBe(20);
  });

  it('subscribes one coin per frame (arrays of coins are silently ignored by the venue)', () => {
    const h = sessionHarness(hyperliquid, ['BTC', 'ETH']);
    h.session.onOpen();
    expect(h.sent.map((f) => JSON.parse(f))).toEqual([
      { method: 'subscribe', subscription: { type: 'l2Book', coin: 'BTC' } },
      { method: 'subscribe', subscription: { type: 'trades', coin: 'BTC' } },
      { method: 'subscribe', subscription: { type: 'l2Book', coin: 'ETH' } },
      { method: 'subscribe', subscription: { type: 'trades', coin: 'ETH' } },
    ]);
    expect(JSON.parse(h.session.keepalive!.frame())).toEqual({ method: 'ping' });
    h.feed(['{"channel":"pong"}']);
    expect(h.notices).toEqual([]);
  });
});
