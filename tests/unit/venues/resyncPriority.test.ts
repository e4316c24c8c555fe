/** Which snapshot priority a session's resync asks the REST budget for, per cause. */
import { describe, expect, it } from 'vitest';
import { binanceSpot, binanceUsdm } from '../../../src-main/engine/venues/binance/binanceSpec.ts';
import { gate } from '../../../src-main/engine/venues/gate/gateSpec.ts';
import { kucoin } from '../../../src-main/engine/venues/kucoin/kucoinSpec.ts';
import { resyncPriority } from '../../../src-main/engine/venues/venue.ts';
import type { VenueSpec } from '../../../src-main/engine/venues/venue.ts';
import { sessionHarness } from '../../support/sessionHarness.ts';

describe('resync priority', () => {
  it('is manual for an operator request, gap for a book found wrong or lost', () => {
    expect(resyncPriority('manual')).toBe('manual');
    for (const cause of ['gap', 'checksum-mismatch', 'crossed-book', 'invalid-price', 'invalid-size', 'regress', 'reconnect', 'process-restart'] as const) {
      expect(resyncPriority(cause), cause).toBe('gap');
    }
  });

  const venues: [VenueSpec, string][] = [
    [binanceSpot, 'BTCUSDT'],
    [binanceUsdm, 'BTCUSDT'],
    [gate, 'BTC_USDT'],
    [kucoin, 'BTC-USDT'],
  ];
  for (const [spec, symbol] of venues) {
    it(`${spec.id}: resync asks for its snapshot at that priority`, () => {
      const h = sessionHarness(spec, [symbol], { restSnapshots: true });
      h.session.resync(symbol, 'manual');
      h.session.resync(symbol, 'crossed-book');
      expect(h.snapshotRequests).toEqual([
        { venueSymbol: symbol, priority: 'manual' },
        { venueSymbol: symbol, priority: 'gap' },
      ]);
    });
  }
});
