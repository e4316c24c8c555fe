/**
 * Real market data for publisher tests: Binance spot depth diffs and aggTrades from
 * ../shared/data/binance/cryptofeed_spot_4sym_2021-10-12.ndjson (4 symbols, 30 s, REST snapshot
 * arriving after the first diffs). Books are rebuilt with Binance's documented procedure
 * (https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams#how-to-manage-a-local-order-book-correctly):
 * buffer diffs, take the snapshot, drop diffs with u <= lastUpdateId, the first applied diff must
 * have U <= lastUpdateId + 1 <= u, then every diff's U must be the previous u + 1. The recording
 * is verified gap-free (PROVENANCE.md), so a broken chain here is a test-data error and throws.
 *
 * This stands in for the engine until the venue adapters drive the publisher directly.
 */
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parseScaled } from '../../../src-shared/model/decimal.ts';
import type { Instrument, Trade } from '../../../src-shared/model/market.ts';
import { OrderBook } from '../../../src-main/engine/book/orderBook.ts';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
export const sharedDir = process.env.DEPTHDESK_SHARED ?? path.resolve(repoRoot, '../shared');
export const BINANCE_SPOT_4SYM = path.join(sharedDir, 'data', 'binance', 'cryptofeed_spot_4sym_2021-10-12.ndjson');

/** Base and quote of the four recorded symbols (Binance exchangeInfo). */
const ASSETS: Record<string, [string, string]> = {
  NKNUSDT: ['NKN', 'USDT'],
  BLZETH: ['BLZ', 'ETH'],
  LRCBTC: ['LRC', 'BTC'],
  RUNEEUR: ['RUNE', 'EUR'],
};

/** Binance spot sends 8 decimals on every price and quantity. */
const SCALE = 8;

export type ReplayStep =
  | { kind: 'book'; instrument: Instrument; book: OrderBook; tsNs: bigint }
  | { kind: 'trade'; trade: Trade };

interface SymbolState {
  instrument: Instrument;
  book: OrderBook;
  buffered: DepthData[];
  lastU: number;
  synced: boolean;
}

interface DepthData {
  s: string;
  U: number;
  u: number;
  b: [string, string][];
  a: [string, string][];
  E: number;
}

/** Parses at the book's current scale, so a test may widen a book mid-stream (OrderBook.widen). */
function applyLevels(book: OrderBook, isBid: boolean, levels: [string, string][]): void {
  for (const [p, q] of levels) {
    const price = parseScaled(p, book.priceScale);
    const size = parseScaled(q, book.sizeScale);
    if (Number.isNaN(price) || Number.isNaN(size)) throw new Error(`not exact at scale ${book.priceScale}/${book.sizeScale}: ${p} @ ${q}`);
    book.side(isBid).set(price, size);
  }
}

export class BinanceDepthReplay {
  readonly instruments: Instrument[] = [];
  private readonly lines: string[];
  private readonly symbols = new Map<string, SymbolState>();

  constructor(file = BINANCE_SPOT_4SYM) {
    if (!existsSync(file)) throw new Error(`recording ${file} is missing: check out ../shared beside the repository or set DEPTHDESK_SHARED`);
    this.lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
    for (const [sym, [base, quote]] of Object.entries(ASSETS)) {
      const instrument: Instrument = {
        venue: 'binance-spot',
        venueSymbol: sym,
        symbol: `${base}-${quote}`,
        base,
        quote,
        kind: 'spot',
        inverse: false,
        priceScale: SCALE,
        sizeScale: SCALE,
      };
      this.instruments.push(instrument);
      this.symbols.set(sym, { instrument, book: new OrderBook(SCALE, SCALE), buffered: [], lastU: 0, synced: false });
    }
  }

  /** Steps in recording order; each book step is yielded right after its diff was applied. */
  *steps(): Generator<ReplayStep> {
    for (const line of this.lines) {
      const rec = JSON.parse(line) as { dir: string; url?: string; raw?: string };
      if (!rec.raw) continue;
      if (rec.dir === 'http') {
        const sym = /symbol=([A-Z]+)/.exec(rec.url ?? '')?.[1];
        const st = sym ? this.symbols.get(sym) : undefined;
        if (!st) continue;
        const snap = JSON.parse(rec.raw) as { lastUpdateId: number; bids: [string, string][]; asks: [string, string][] };
        st.book.clear();
        applyLevels(st.book, true, snap.bids);
        applyLevels(st.book, false, snap.asks);
        st.book.markSnapshot('snapshot', 1000);
        st.lastU = snap.lastUpdateId;
        st.synced = true;
        const pending = st.buffered;
        st.buffered = [];
        let first = true;
        for (const d of pending) {
          if (d.u <= st.lastU) continue;
          if (first && !(d.U <= st.lastU + 1 && st.lastU + 1 <= d.u)) throw new Error(`${sym}: first diff ${d.U}..${d.u} does not cover ${st.lastU + 1}`);
          const step = this.apply(st, d, !first);
          first = false;
          yield step;
        }
        continue;
      }
      if (rec.dir !== 'recv') continue;
      const msg = JSON.parse(rec.raw) as { stream?: string; data?: Record<string, unknown> };
      const data = msg.data;
      if (!data || typeof msg.stream !== 'string') continue;
      if (msg.stream.endsWith('@depth@100ms')) {
        const d = data as unknown as DepthData;
        const st = this.symbols.get(d.s);
        if (!st) continue;
        if (!st.synced) {
          st.buffered.push(d);
          continue;
        }
        if (d.u <= st.lastU) continue;
        yield this.apply(st, d, true);
      } else if (msg.stream.endsWith('@aggTrade')) {
        const t = data as { s: string; a: number; p: string; q: string; T: number; m: boolean };
        const st = this.symbols.get(t.s);
        if (!st) continue;
        yield {
          kind: 'trade',
          trade: {
            venue: 'binance-spot',
            symbol: t.s,
            tradeId: String(t.a),
            // m: the buyer is the maker, so the taker sold.
            takerSide: t.m ? 'sell' : 'buy',
            price: parseScaled(t.p, SCALE),
            size: parseScaled(t.q, SCALE),
            priceScale: SCALE,
            sizeScale: SCALE,
            exchTsMs: t.T,
            recvTsNs: 0n,
          },
        };
      }
    }
  }

  private apply(st: SymbolState, d: DepthData, chained: boolean): ReplayStep {
    if (chained && d.U !== st.lastU + 1) throw new Error(`${d.s}: gap ${st.lastU} -> ${d.U}`);
    applyLevels(st.book, true, d.b);
    applyLevels(st.book, false, d.a);
    st.lastU = d.u;
    return { kind: 'book', instrument: st.instrument, book: st.book, tsNs: BigInt(d.E) * 1_000_000n };
  }
}
