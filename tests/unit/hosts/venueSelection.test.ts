import { describe, expect, it } from 'vitest';
import { selectVenues } from '../../../src-main/hosts/venueSelection.ts';
import { VENUE_IDS } from '../../../src-main/hosts/config.ts';
import { VENUES } from '../../../src-main/engine/venues/registry.ts';

describe('venue selection for a feed process', () => {
  it('spells symbols as the venue does, drops duplicates, applies the cap, keeps URL overrides', async () => {
    const r = await selectVenues([{ venue: 'binance-spot', symbols: ['btcusdt', 'BTCUSDT', 'ethusdt', 'SOLUSDT'], wsUrl: 'ws://127.0.0.1:9' }], 2);
    expect(r).toEqual({ venues: [{ venue: 'binance-spot', symbols: ['BTCUSDT', 'ETHUSDT'], wsUrl: 'ws://127.0.0.1:9' }], skipped: [] });
  });

  it('reports what cannot run instead of failing the process', async () => {
    const unlisted = [...VENUES.values()].find((s) => s.listSymbols === undefined);
    const missing = VENUE_IDS.find((id) => !VENUES.has(id));
    const configured = [
      { venue: 'okx' as const, symbols: ['BTC-USDT'] },
      ...(unlisted ? [{ venue: unlisted.id, symbols: 'all' as const }] : []),
      ...(missing ? [{ venue: missing, symbols: ['X'] }] : []),
    ];
    const r = await selectVenues(configured);
    expect(r.venues.map((v) => v.venue)).toEqual(['okx']);
    const expected = [
      ...(unlisted ? [`${unlisted.id}: "all" symbols cannot be listed by this build yet; name the symbols in the configuration`] : []),
      ...(missing ? [`${missing}: this build has no adapter for it (registered: ${[...VENUES.keys()].join(', ')})`] : []),
    ];
    expect(r.skipped).toEqual(expected);
  });
});
