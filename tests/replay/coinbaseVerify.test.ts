/**
 * Coinbase Advanced Trade and legacy Exchange adapters over the real recordings in
 * ../shared/data/coinbase, plus fault cases built by transforming those real streams. Figures are
 * the ones PROVENANCE.md states for each file.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { verifyFile, VerifyRun } from '../../src-main/engine/verify/verify.ts';
import type { SymbolReport, VerifyOptions } from '../../src-main/engine/verify/verify.ts';
import { loadRecording } from '../../src-main/engine/replay/recording.ts';
import type { RecordLine } from '../../src-main/engine/replay/recording.ts';
import { SymbolBook } from '../../src-main/engine/sync/symbolBook.ts';
import { formatScaled } from '../../src-shared/model/decimal.ts';
import type { Trade } from '../../src-shared/model/market.ts';
import { coinbase, coinbaseExchange, coinbaseInstrument } from '../../src-main/engine/venues/coinbase/coinbaseSpec.ts';
import { CoinbaseSession, rfc3339ToMs } from '../../src-main/engine/venues/coinbase/coinbaseSession.ts';
import type { SessionContext, VenueSession } from '../../src-main/engine/venues/venue.ts';
import { venueForUrl } from '../../src-main/engine/venues/registry.ts';
import { dataDir, dataPath } from '../support/data.ts';

const AT = 'coinbase/cryptofeed_advanced_trade_level2_2026-08-09.ndjson';
const EXCHANGE = 'coinbase/cryptofeed_exchange_level2_2021-04-17.ndjson';

function runRecords(file: string, records: RecordLine[], opts: VerifyOptions = {}): { symbols: SymbolReport[]; notices: string[] } {
  const run = new VerifyRun(basename(file), opts);
  for (const r of records) run.handle(r);
  return { symbols: run.report(), notices: run.notices };
}

function find(symbols: SymbolReport[], symbol: string): SymbolReport {
  const s = symbols.find((x) => x.symbol === symbol);
  if (s === undefined) throw new Error(`no ${symbol} in the report`);
  return s;
}

interface Envelope {
  channel?: string;
  sequence_num?: number;
  events?: { type?: string; product_id?: string }[];
}

function envelope(r: RecordLine): Envelope {
  return r.dir === 'recv' ? (JSON.parse(r.raw) as Envelope) : {};
}

/** Index of the first record matching `pred` at or after `from`. */
function indexOf(records: RecordLine[], from: number, pred: (e: Envelope) => boolean): number {
  for (let i = from; i < records.length; i++) if (pred(envelope(records[i]!))) return i;
  throw new Error('no such record');
}

/** Copy of an AT record with its sequence_num shifted. */
function renumbered(r: RecordLine, delta: number): RecordLine {
  const m = JSON.parse(r.raw) as Envelope;
  m.sequence_num = m.sequence_num! + delta;
  return { ...r, raw: JSON.stringify(m) };
}

function bookText(sb: SymbolBook): string[] {
  const t = sb.book.top(sb.book.levelCount());
  const f = (side: string) => ([p, s]: [number, number]) => `${side} ${formatScaled(p, sb.book.priceScale)}@${formatScaled(s, sb.book.sizeScale)}`;
  return [...t.bids.map(f('b')), ...t.asks.map(f('a'))];
}

function finalBooks(): { opts: VerifyOptions; books: Map<string, SymbolBook> } {
  const books = new Map<string, SymbolBook>();
  return { books, opts: { onApplied: (sb) => books.set(sb.symbol, sb) } };
}

/**
 * Where each normalized trade printed against the live rebuilt book at that moment: a taker buy
 * lifts the ask, a taker sell hits the bid. Returns counts per outcome.
 */
async function tradeSides(file: string): Promise<{ buyAtAsk: number; sellAtBid: number; contradictions: number; inside: number; trades: Trade[] }> {
  const live = new Map<string, SymbolBook>();
  const out = { buyAtAsk: 0, sellAtBid: 0, contradictions: 0, inside: 0, trades: [] as Trade[] };
  await verifyFile(dataPath(file), {
    onApplied: (sb) => live.set(sb.symbol, sb),
    onTrade: (t) => {
      out.trades.push(t);
      const sb = live.get(t.symbol);
      if (sb === undefined || sb.state !== 'live' || t.priceScale !== sb.book.priceScale) return;
      const bid = sb.book.bids.bestPrice();
      const ask = sb.book.asks.bestPrice();
      if (t.takerSide === 'buy' && t.price >= ask) out.buyAtAsk++;
      else if (t.takerSide === 'sell' && t.price <= bid) out.sellAtBid++;
      else if ((t.takerSide === 'buy' && t.price <= bid) || (t.takerSide === 'sell' && t.price >= ask)) out.contradictions++;
      else out.inside++;
    },
  });
  return out;
}

describe('verify: every Coinbase recording', () => {
  const dir = join(dataDir(), 'coinbase');
  for (const f of readdirSync(dir).sort()) {
    it(`${f}: full books live, 0 gaps, never crossed after any message`, async () => {
      let checked = 0;
      const r = await verifyFile(join(dir, f), {
        onApplied: (sb) => {
          checked++;
          expect(sb.book.isCrossed()).toBe(false);
          expect(sb.book.trustBand().mode).toBe('full');
          expect(sb.book.depthCap).toBe(0);
        },
      });
      expect(r.error).toBeUndefined();
      expect(r.symbols.length).toBeGreaterThan(0);
      expect(checked).toBeGreaterThan(0);
      for (const s of r.symbols) {
        expect(s.failures, s.symbol).toEqual([]);
        expect(s.state).toBe('live');
        expect(s.counters.gaps).toBe(0);
        expect(s.counters.duplicates).toBe(0);
        expect(s.counters.resyncs).toBe(0);
        expect([s.counters.checksumOk, s.counters.checksumFailed, s.counters.checksumNotProvided]).toEqual([0, 0, 0]);
        expect(s.counters.snapshots).toBe(1);
      }
      expect(r.notices).toEqual([]);
    });
  }
});

describe('Coinbase Advanced Trade level2 (2026-08-09): PROVENANCE figures', () => {
  it('BTC-USD 1 snapshot + 399 updates (47,930 level changes), ETH-USD 1 + 374; first l2_data at sequence_num 13', async () => {
    const firstSeq = new Map<string, number>();
    const r = await verifyFile(dataPath(AT), {
      onApplied: (sb) => {
        if (!firstSeq.has(sb.symbol)) firstSeq.set(sb.symbol, sb.seq);
      },
    });
    const btc = find(r.symbols, 'BTC-USD');
    const eth = find(r.symbols, 'ETH-USD');
    expect([btc.counters.snapshots, btc.counters.applied - btc.counters.snapshots, btc.counters.levelUpdates]).toEqual([1, 399, 47_930]);
    expect([eth.counters.snapshots, eth.counters.applied - eth.counters.snapshots]).toEqual([1, 374]);
    expect(Math.min(...firstSeq.values())).toBe(13);
    expect(btc.normalized).toBe('BTC-USD');
    expect(r.venues).toEqual(['coinbase']);
  });

  it('market_trades: 279 distinct trades, and `side` is the maker side (every edge print agrees)', async () => {
    const s = await tradeSides(AT);
    expect(s.trades.length).toBe(279);
    expect(new Set(s.trades.map((t) => `${t.symbol}|${t.tradeId}`)).size).toBe(279);
    // Read as the maker side, 48 taker buys print at the ask and 23 taker sells at the bid;
    // read as the taker side every one of those 71 would contradict the book.
    expect(s.buyAtAsk).toBe(48);
    expect(s.sellAtBid).toBe(23);
    expect(s.contradictions).toBe(0);
  });
});

describe('Coinbase Advanced Trade faults from transformed real streams', () => {
  it('one dropped heartbeats envelope: connection-wide gap, every book on the socket leaves live and the report says why', async () => {
    const records = await loadRecording(dataPath(AT));
    const hb = indexOf(records, Math.floor(records.length / 2), (e) => e.channel === 'heartbeats');
    const lost = envelope(records[hb]!).sequence_num!;
    const out = runRecords(AT, records.filter((_, i) => i !== hb));
    for (const sym of ['BTC-USD', 'ETH-USD']) {
      const s = find(out.symbols, sym);
      expect(s.state, sym).toBe('resyncing');
      expect(s.counters.gaps).toBe(1);
      expect(s.failures).toEqual(['1 sequence gap(s)', 'ended resyncing']);
      expect(s.anomalies[0]?.kind).toBe('gap');
      expect(s.anomalies[0]?.detail).toMatch(new RegExp(`^connection-wide sequence_num jumped from ${lost - 1} to ${lost + 1} \\(channel \\w+\\): 1 message\\(s\\) lost on this socket, every book on it resyncs$`));
      // Updates after the gap wait for the new snapshot; none is applied to the tainted book.
      expect(s.counters.droppedBeforeSnapshot).toBeGreaterThan(0);
    }
  });

  it('one dropped BTC-USD l2_data envelope also takes ETH-USD out of live', async () => {
    const records = await loadRecording(dataPath(AT));
    const at = indexOf(records, 400, (e) => e.channel === 'l2_data' && e.events?.[0]?.product_id === 'BTC-USD' && e.events[0].type === 'update');
    const out = runRecords(AT, records.filter((_, i) => i !== at));
    expect(find(out.symbols, 'BTC-USD').state).toBe('resyncing');
    expect(find(out.symbols, 'ETH-USD').state).toBe('resyncing');
    expect(find(out.symbols, 'ETH-USD').counters.gaps).toBe(1);
  });

  it('a repeated l2_data envelope is a duplicate on its product; the book ends exactly as without it', async () => {
    const records = await loadRecording(dataPath(AT));
    const at = indexOf(records, 300, (e) => e.channel === 'l2_data' && e.events?.[0]?.product_id === 'ETH-USD' && e.events[0].type === 'update');
    const base = finalBooks();
    runRecords(AT, records, base.opts);
    const fault = finalBooks();
    const out = runRecords(AT, [...records.slice(0, at + 1), records[at]!, ...records.slice(at + 1)], fault.opts);
    const eth = find(out.symbols, 'ETH-USD');
    expect(eth.counters.duplicates).toBe(1);
    expect(eth.counters.gaps).toBe(0);
    expect(eth.state).toBe('live');
    expect(find(out.symbols, 'BTC-USD').counters.duplicates).toBe(0);
    expect(bookText(fault.books.get('ETH-USD')!)).toEqual(bookText(base.books.get('ETH-USD')!));
  });

  it('the market_trades snapshot delivered twice (later envelopes renumbered): trades deduplicated by trade_id', async () => {
    const records = await loadRecording(dataPath(AT));
    const snap = indexOf(records, 0, (e) => e.channel === 'market_trades' && e.events?.[0]?.type === 'snapshot');
    const copy = renumbered(records[snap]!, 1);
    const changed = records.map((r, i) => (i > snap && r.dir === 'recv' ? renumbered(r, 1) : r));
    changed.splice(snap + 1, 0, copy);
    const trades: Trade[] = [];
    const out = runRecords(AT, changed, { onTrade: (t) => trades.push(t) });
    expect(trades.length).toBe(279);
    for (const s of out.symbols) expect(s.counters.gaps).toBe(0);
  });
});

describe('Coinbase Advanced Trade session control frames', () => {
  function session(products: string[]): { s: VenueSession; sent: string[]; books: Map<string, SymbolBook> } {
    const sent: string[] = [];
    const books = new Map<string, SymbolBook>();
    let s: VenueSession | undefined;
    const ctx: SessionContext = {
      send: (f) => sent.push(f),
      book: (p) => books.get(p),
      books: () => books.values(),
      requestSnapshot: () => {},
      trade: () => {},
      crossCheck: () => {},
      notice: () => {},
      connectionAnomaly: (kind, detail) => {
        for (const sb of books.values()) sb.anomaly(kind, detail);
      },
    };
    for (const p of products) books.set(p, new SymbolBook(coinbaseInstrument('coinbase', p), { onAnomaly: (b, kind) => s!.resync(b.symbol, kind) }));
    s = coinbase.createSession(ctx, { id: 'coinbase#0', url: coinbase.wsUrl, venueSymbols: products });
    s.onOpen();
    return { s, sent, books };
  }

  it('subscribes one channel per message (heartbeats first); a gap renews level2 for all products with one unsubscribe + subscribe; a new snapshot brings the book back', async () => {
    const { s, sent, books } = session(['BTC-USD', 'ETH-USD']);
    expect(sent.map((f) => JSON.parse(f))).toEqual([
      { type: 'subscribe', product_ids: ['BTC-USD', 'ETH-USD'], channel: 'heartbeats' },
      { type: 'subscribe', product_ids: ['BTC-USD', 'ETH-USD'], channel: 'level2' },
      { type: 'subscribe', product_ids: ['BTC-USD', 'ETH-USD'], channel: 'market_trades' },
    ]);
    const records = (await loadRecording(dataPath(AT))).filter((r) => r.dir === 'recv');
    const drop = indexOf(records, 600, (e) => e.channel === 'heartbeats');
    const recvd = records.filter((_, i) => i !== drop);
    for (const r of recvd) s.onMessage(r.raw, r.recvTsNs);
    expect(books.get('BTC-USD')!.state).toBe('resyncing');
    expect((s as CoinbaseSession).connectionGaps).toBe(1);
    expect(sent.slice(3).map((f) => JSON.parse(f))).toEqual([
      { type: 'unsubscribe', product_ids: ['BTC-USD', 'ETH-USD'], channel: 'level2' },
      { type: 'subscribe', product_ids: ['BTC-USD', 'ETH-USD'], channel: 'level2' },
    ]);
    // Recovery: the venue answers the new subscription with a snapshot (transformation: the real
    // BTC-USD snapshot envelope re-sent with the connection's next sequence_num).
    const snap = indexOf(records, 0, (e) => e.channel === 'l2_data' && e.events?.[0]?.type === 'snapshot' && e.events[0].product_id === 'BTC-USD');
    const last = envelope(recvd[recvd.length - 1]!).sequence_num!;
    const again = renumbered(records[snap]!, last + 1 - envelope(records[snap]!).sequence_num!);
    s.onMessage(again.raw, again.recvTsNs);
    expect(books.get('BTC-USD')!.state).toBe('live');
    expect(books.get('BTC-USD')!.counters.snapshots).toBe(2);
    expect(books.get('ETH-USD')!.state).toBe('resyncing');
  });
});

describe('Coinbase Exchange level2 (2021-04-17, legacy ws-feed)', () => {
  it('10 snapshots, 9,719 l2updates (SKL-USD 2,592), no sequence to check', async () => {
    const r = await verifyFile(dataPath(EXCHANGE));
    expect(r.venues).toEqual(['coinbase-exchange']);
    expect(r.symbols.length).toBe(10);
    expect(r.symbols.reduce((n, s) => n + s.counters.snapshots, 0)).toBe(10);
    expect(r.symbols.reduce((n, s) => n + s.counters.applied - s.counters.snapshots, 0)).toBe(9719);
    expect(find(r.symbols, 'SKL-USD').counters.applied - 1).toBe(2592);
  });

  it('matches: `side` is the maker side, so the taker is the opposite (every edge print agrees)', async () => {
    const s = await tradeSides(EXCHANGE);
    // `match` 36 + `last_match` 2 taker buys at the ask; 24 + 1 taker sells at the bid.
    expect(s.buyAtAsk).toBe(38);
    expect(s.sellAtBid).toBe(25);
    expect(s.contradictions).toBe(0);
    expect(new Set(s.trades.map((t) => `${t.symbol}|${t.tradeId}`)).size).toBe(s.trades.length);
  });

  it('subscribes level2_batch, heartbeat and matches within one message; resync renews one product', () => {
    const sent: string[] = [];
    const books = new Map<string, SymbolBook>([['SKL-USD', new SymbolBook(coinbaseInstrument('coinbase-exchange', 'SKL-USD'))]]);
    const ctx = { send: (f: string) => sent.push(f), book: (p: string) => books.get(p), books: () => books.values() } as unknown as SessionContext;
    const s = coinbaseExchange.createSession(ctx, { id: 'coinbase-exchange#0', url: coinbaseExchange.wsUrl, venueSymbols: ['SKL-USD', 'BAND-BTC'] });
    s.onOpen();
    s.resync('SKL-USD', 'manual');
    expect(sent.map((f) => JSON.parse(f))).toEqual([
      { type: 'subscribe', product_ids: ['SKL-USD', 'BAND-BTC'], channels: ['level2_batch', 'heartbeat', 'matches'] },
      { type: 'unsubscribe', product_ids: ['SKL-USD'], channels: ['level2_batch'] },
      { type: 'subscribe', product_ids: ['SKL-USD'], channels: ['level2_batch'] },
    ]);
    expect(books.get('SKL-USD')!.state).toBe('resyncing');
  });
});

describe('Coinbase specs', () => {
  it('recognize their hosts', () => {
    expect(venueForUrl('wss://advanced-trade-ws.coinbase.com')?.id).toBe('coinbase');
    expect(venueForUrl('wss://ws-feed.exchange.coinbase.com')?.id).toBe('coinbase-exchange');
    expect(venueForUrl('wss://ws-feed.pro.coinbase.com')?.id).toBe('coinbase-exchange');
    expect(venueForUrl('wss://advanced-trade-ws-user.coinbase.com')).toBeUndefined();
  });

  it('keep product ids as normalized symbols and shard Advanced Trade at 10 products per connection', () => {
    expect(coinbaseInstrument('coinbase', 'BTC-USD')).toMatchObject({ symbol: 'BTC-USD', base: 'BTC', quote: 'USD', kind: 'spot' });
    expect(coinbaseInstrument('coinbase', 'BTC-PERP-INTX')).toMatchObject({ symbol: 'BTC-PERP-INTX', kind: 'perpetual' });
    const products = Array.from({ length: 25 }, (_, i) => `P${i}-USD`);
    expect(coinbase.plan(products).map((p) => p.venueSymbols.length)).toEqual([10, 10, 5]);
  });

  it('read RFC 3339 nanosecond timestamps to exact milliseconds', () => {
    expect(rfc3339ToMs('2026-08-09T21:05:48.483587501Z')).toBe(Date.UTC(2026, 7, 9, 21, 5, 48, 483));
    expect(rfc3339ToMs('2021-04-17T16:43:37.089723Z')).toBe(Date.UTC(2021, 3, 17, 16, 43, 37, 89));
    expect(rfc3339ToMs('not a time')).toBeNaN();
  });
});
