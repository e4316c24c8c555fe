/**
 * "symbols": "all" end to end at the HTTP level: each venue's `listSymbols` asks a local replay
 * server (the venue's real recording behind its real protocol), whose instrument-list route answers
 * in the venue's documented shape with the recording's book symbols. The listing must come back as
 * exactly those symbols, spelled as the engine's books name them, so that "all" against a replay
 * follows every recorded book and nothing else.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { InstrumentKind, VenueId } from '../../src-shared/model/market.ts';
import { startReplay } from '../../src-main/engine/replay/replayPlan.ts';
import type { ReplayPlan } from '../../src-main/engine/replay/replayPlan.ts';
import { VENUES } from '../../src-main/engine/venues/registry.ts';
import { listBybitInstruments } from '../../src-main/engine/venues/bybit/bybitInstruments.ts';
import { dataPath } from '../support/data.ts';

interface Case {
  venue: VenueId;
  rel: string;
  /** Instrument kinds the venue's "all" does not follow (OKX options): left out of the expectation. */
  unlisted?: InstrumentKind[];
}

const CASES: Case[] = [
  { venue: 'binance-spot', rel: 'binance/cryptofeed_spot_4sym_2021-10-12.ndjson' },
  { venue: 'binance-us', rel: 'binance/cryptofeed_binanceus_4sym_2021-10-12.ndjson' },
  { venue: 'binance-usdm', rel: 'binance/cryptofeed_usdm_4sym_2021-07-22.ndjson' },
  { venue: 'binance-coinm', rel: 'binance/cryptofeed_coinm_10sym_2021-07-22.ndjson' },
  { venue: 'okx', rel: 'okx/cryptofeed_books_2022-05-13.ndjson' },
  { venue: 'okx', rel: 'okx/cryptofeed_books-l2-tbt_2022-02-27.ndjson', unlisted: ['option'] },
  { venue: 'bybit-spot', rel: 'bybit/cryptofeed_v5_linear+spot_orderbook200_2026-08-09.ndjson' },
  { venue: 'bybit-linear', rel: 'bybit/cryptofeed_v5_linear+spot_orderbook200_2026-08-09.ndjson' },
  { venue: 'bybit-spot', rel: 'bybit/cryptofeed_v5_linear+spot_orderbook1_2025-06-13.ndjson' },
  { venue: 'bybit-linear', rel: 'bybit/cryptofeed_v5_linear+spot_orderbook1_2025-06-13.ndjson' },
  { venue: 'coinbase', rel: 'coinbase/cryptofeed_advanced_trade_level2_2026-08-09.ndjson' },
  { venue: 'coinbase-exchange', rel: 'coinbase/cryptofeed_exchange_level2_2021-04-17.ndjson' },
  { venue: 'kraken', rel: 'kraken/cryptofeed_v1_book1000_XBTUSD+9pairs_2021-04-05_120s.ndjson' },
  { venue: 'kraken-futures', rel: 'kraken/cryptofeed_futures_v1_book_2021-07-22.ndjson' },
  { venue: 'deribit', rel: 'deribit/cryptofeed_book_raw_2021-04-17.ndjson' },
  { venue: 'deribit', rel: 'deribit/cryptofeed_book_raw_options_2021-04-05_120s.ndjson' },
  { venue: 'gate', rel: 'gate/cryptofeed_spot_order_book_update_2021-04-22.ndjson' },
  { venue: 'gate', rel: 'gate/cryptofeed_futures_order_book_update_2023-05-24.ndjson' },
  { venue: 'kucoin', rel: 'kucoin/cryptofeed_level2_2021-04-25.ndjson' },
  { venue: 'bitget', rel: 'bitget/cryptofeed_v1_books_spot+mix_2022-04-07.ndjson' },
  { venue: 'bitfinex', rel: 'bitfinex/cryptofeed_ws2_2021-04-17.ndjson' },
  { venue: 'bitfinex', rel: 'bitfinex/cryptofeed_ws2_book_P0_len100_seqall_2021-04-05_120s.ndjson' },
  { venue: 'bitmex', rel: 'bitmex/cryptofeed_orderBookL2_2021-04-05_120s.ndjson' },
  { venue: 'bitmex', rel: 'bitmex/cryptofeed_orderBookL2_2021-07-22.ndjson' },
  { venue: 'upbit', rel: 'upbit/cryptofeed_orderbook+trade_2021-04-17.ndjson' },
  { venue: 'hyperliquid', rel: 'hyperliquid/BTC_l2Book_trades_2025-01-26.hftbacktest.ndjson' },
];

const plans: ReplayPlan[] = [];
afterEach(async () => {
  await Promise.all(plans.splice(0).map((p) => p.close()));
});

describe('instrument lists against the replay servers', () => {
  for (const c of CASES) {
    it(`${c.venue}: listSymbols returns every book symbol of ${c.rel}${c.unlisted ? ` but the ${c.unlisted.join(', ')}s` : ''}`, async () => {
      const r = await startReplay({ files: [dataPath(c.rel)], speed: 0 });
      if (!r.ok) throw new Error(r.error);
      plans.push(r.plan);
      const server = r.plan.server(c.venue)!;
      const spec = VENUES.get(c.venue)!;
      const recorded = server.bookSymbolList().filter((s) => !(c.unlisted ?? []).includes(spec.instrument(s).kind));
      expect(recorded.length).toBeGreaterThan(0);
      const listed = await spec.listSymbols!(server.restUrl);
      if (!listed.ok) throw new Error(listed.error);
      expect([...listed.symbols].sort()).toEqual(recorded);
      // Each listed symbol is already the books' own spelling.
      expect(listed.symbols.map((s) => spec.instrument(s).venueSymbol)).toEqual(listed.symbols);
    });
  }

  it('bybit-linear: cursor paging, one instrument per page, lists every recorded linear symbol once', async () => {
    const r = await startReplay({ files: [dataPath('bybit/cryptofeed_v5_linear+spot_orderbook200_2026-08-09.ndjson')], speed: 0 });
    if (!r.ok) throw new Error(r.error);
    plans.push(r.plan);
    const server = r.plan.server('bybit-linear')!;
    expect(server.bookSymbolList().length).toBeGreaterThan(1);
    const listed = await listBybitInstruments('bybit-linear', 'linear', server.restUrl, 1);
    if (!listed.ok) throw new Error(listed.error);
    expect(listed.instruments.map((i) => i.venueSymbol)).toEqual(server.bookSymbolList());
  });
});
