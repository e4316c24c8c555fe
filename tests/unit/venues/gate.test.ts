/** Gate naming, endpoints and subscriptions (venues.md section 14.1). */
import { describe, expect, it } from 'vitest';
import { gate, gateInstrument } from '../../../src-main/engine/venues/gate/gateSpec.ts';
import { parseGateSymbol } from '../../../src-main/engine/venues/gate/gateSymbol.ts';
import { venueForUrl } from '../../../src-main/engine/venues/registry.ts';
import { sessionHarness } from '../../support/sessionHarness.ts';

describe('Gate', () => {
  it('keeps a spot pair and the perpetual of the same name apart', () => {
    expect(parseGateSymbol('BTC_USDT')).toEqual({ market: 'spot', settle: '', name: 'BTC_USDT' });
    expect(parseGateSymbol('usdt/BTC_USDT')).toEqual({ market: 'futures', settle: 'usdt', name: 'BTC_USDT' });
    expect(gateInstrument('BTC_USDT')).toMatchObject({ symbol: 'BTC-USDT', kind: 'spot' });
    expect(gateInstrument('usdt/BTC_USDT')).toMatchObject({ venueSymbol: 'usdt/BTC_USDT', symbol: 'BTC-USDT-PERP', kind: 'perpetual', inverse: false });
  });

  it('plans spot and futures on their own hosts and asks the matching with_id snapshot', () => {
    const plans = gate.plan(['BTC_USDT', 'usdt/BTC_USDT', 'ETH_USDT']);
    expect(plans.map((p) => [p.url, p.venueSymbols])).toEqual([
      ['wss://api.gateio.ws/ws/v4/', ['BTC_USDT', 'ETH_USDT']],
      ['wss://fx-ws.gateio.ws/v4/ws/usdt', ['usdt/BTC_USDT']],
    ]);
    expect(gate.rest!.snapshotPath('BTC_USDT')).toBe('/api/v4/spot/order_book?currency_pair=BTC_USDT&limit=100&with_id=true');
    expect(gate.rest!.snapshotPath('usdt/BTC_USDT')).toBe('/api/v4/futures/usdt/order_book?contract=BTC_USDT&limit=100&with_id=true');
    expect(gate.snapshotSymbol!('https://api.gateio.ws/api/v4/futures/usdt/order_book?contract=OMG_USDT&limit=100&with_id=true')).toBe('usdt/OMG_USDT');
    expect(gate.snapshotSymbol!('https://api.gateio.ws/api/v4/spot/order_book?currency_pair=HAI_ETH&limit=100&with_id=true')).toBe('HAI_ETH');
    expect(venueForUrl('wss://fx-ws.gateio.ws/v4/ws/usdt')?.id).toBe('gate');
    expect(venueForUrl('wss://api.gateio.ws/ws/v4/')?.id).toBe('gate');
  });

  it('subscribes one order book per contract and the trades of all, and pings on the futures channel', () => {
    const h = sessionHarness(gate, ['usdt/BTC_USDT', 'usdt/ETH_USDT']);
    h.session.onOpen();
    const sent = h.sent.map((f) => JSON.parse(f) as { channel: string; event: string; payload: string[] });
    expect(sent.map((f) => [f.channel, f.event, f.payload])).toEqual([
      ['futures.order_book_update', 'subscribe', ['BTC_USDT', '100ms']],
      ['futures.order_book_update', 'subscribe', ['ETH_USDT', '100ms']],
      ['futures.trades', 'subscribe', ['BTC_USDT', 'ETH_USDT']],
    ]);
    expect((JSON.parse(h.session.keepalive!.frame()) as { channel: string }).channel).toBe('futures.ping');
  });
});
