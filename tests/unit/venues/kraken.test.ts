import { describe, expect, it } from 'vitest';
import { loadRecording } from '../../../src-main/engine/replay/recording.ts';
import { SymbolBook } from '../../../src-main/engine/sync/symbolBook.ts';
import { krakenBookChecksum, krakenBookChecksumText, krakenChecksumField, krakenLevelsChecksum } from '../../../src-main/engine/venues/kraken/krakenChecksum.ts';
import { krakenTimeToMs } from '../../../src-main/engine/venues/kraken/krakenSession.ts';
import { KRAKEN_WS_URL, kraken, krakenInstrument, krakenProtocol } from '../../../src-main/engine/venues/kraken/krakenSpec.ts';
import { krakenWireSymbol } from '../../../src-main/engine/venues/kraken/krakenWireSymbol.ts';
import { KrakenSession } from '../../../src-main/engine/venues/kraken/krakenSession.ts';
import { KrakenV2Session } from '../../../src-main/engine/venues/kraken/krakenV2Session.ts';
import type { VenueSpec } from '../../../src-main/engine/venues/venue.ts';
import { VENUES, venueForUrl } from '../../../src-main/engine/venues/registry.ts';
import { crc32Text } from '../../../src-shared/model/crc32.ts';
import { formatScaled } from '../../../src-shared/model/decimal.ts';
import { dataPath } from '../../support/data.ts';
import { expectSameOutcome, sessionHarness } from '../../support/sessionHarness.ts';

// The worked example of the v1 book checksum guide (venues.md section 9): asks 0.05005 .. 0.05050
// step 0.00005, bids 0.05000, 0.04995, 0.04990, 0.04980 .. 0.04950, every volume 0.00000500.
const QTY = '0.00000500';
const ASKS = ['0.05005', '0.05010', '0.05015', '0.05020', '0.05025', '0.05030', '0.05035', '0.05040', '0.05045', '0.05050'];
const BIDS = ['0.05000', '0.04995', '0.04990', '0.04980', '0.04975', '0.04970', '0.04965', '0.04960', '0.04955', '0.04950'];

/** The Kraken venue pointed at the v1 endpoint, as the recordings and the v1 replay server use it. */
const krakenV1: VenueSpec = { ...kraken, wsUrl: KRAKEN_WS_URL, plan: (symbols: string[]) => kraken.plan(symbols, KRAKEN_WS_URL) };

describe('Kraken checksum', () => {
  it('strips the point and leading zeros, keeping trailing zeros', () => {
    expect(krakenChecksumField('0.05005')).toBe('5005');
    expect(krakenChecksumField('0.00000500')).toBe('500');
    expect(krakenChecksumField('58729.40000')).toBe('5872940000');
  });

  it('gives 974947235 on the guide\'s worked example', () => {
    const lv = (price: string) => ({ price, size: QTY });
    expect(krakenLevelsChecksum(ASKS.map(lv), BIDS.map(lv))).toBe(974947235);
  });

  it('renders a local book at the pair\'s fixed wire decimals (the book itself drops trailing zeros)', () => {
    const sb = new SymbolBook(krakenInstrument('XBT/USD'), {}, () => 0);
    for (const p of ASKS) sb.setLevel(false, p, QTY);
    for (const p of BIDS) sb.setLevel(true, p, QTY);
    expect(sb.book.sizeScale).toBe(6);
    expect(krakenBookChecksum(sb.book, { price: 5, size: 8 })).toBe(974947235);
    expect(krakenBookChecksum(sb.book, { price: 5, size: 6 })).not.toBe(974947235);
  });

  it('the kept per-level state gives the checksum of the whole text after every change of a real stream, down to an empty book', async () => {
    // The incremental hash (fields and per-level states reused from the last checksum) against
    // a full CRC of the rendered text after each XBT/USD message of the recording, then while
    // the levels are removed best first (shifting every level up), asks then bids.
    const recs = await loadRecording(dataPath('kraken/cryptofeed_v1_book1000_XBTUSD+9pairs_2021-04-05_120s.ndjson'));
    const sb = new SymbolBook(krakenInstrument('XBT/USD'), {}, () => 0);
    const dec = { price: 5, size: 8 };
    const full = () => crc32Text(krakenBookChecksumText(sb.book, dec));
    let checked = 0;
    for (const r of recs) {
      if (r.dir !== 'recv' || !r.raw.startsWith('[') || !r.raw.endsWith('"book-1000","XBT/USD"]')) continue;
      const msg = JSON.parse(r.raw) as unknown[];
      for (const part of msg.slice(1, -2) as Record<string, string[][]>[]) {
        if (part.as !== undefined) sb.book.clear();
        for (const [key, bid] of [['as', false], ['bs', true], ['a', false], ['b', true]] as const) {
          for (const [p, q] of part[key] ?? []) sb.setLevel(bid, p!, q!);
        }
      }
      expect(krakenBookChecksum(sb.book, dec)).toBe(full());
      checked++;
    }
    expect(checked).toBeGreaterThan(5000);
    for (const bid of [false, true]) {
      const side = bid ? sb.book.bids : sb.book.asks;
      while (side.count > 0) {
        sb.setLevel(bid, formatScaled(side.priceAt(0), sb.book.priceScale), '0');
        expect(krakenBookChecksum(sb.book, dec)).toBe(full());
      }
    }
    expect(krakenBookChecksum(sb.book, dec)).toBe(crc32Text(''));
  });
});

describe('krakenInstrument and spec', () => {
  it('normalizes the legacy asset codes XBT and XDG', () => {
    expect(krakenInstrument('XBT/USD').symbol).toBe('BTC-USD');
    expect(krakenInstrument('XDG/EUR').symbol).toBe('DOGE-EUR');
    expect(krakenInstrument('ETH/XBT').symbol).toBe('ETH-BTC');
    expect(krakenInstrument('XBT/USD').venueSymbol).toBe('XBT/USD');
    expect(krakenInstrument('DASH/EUR')).toMatchObject({ base: 'DASH', quote: 'EUR', kind: 'spot', inverse: false });
  });

  it('is registered and claims the v1 and v2 URLs, not Kraken Futures', () => {
    expect(VENUES.get('kraken')).toBe(kraken);
    expect(venueForUrl('wss://ws.kraken.com')).toBe(kraken);
    expect(venueForUrl('wss://ws.kraken.com/v2')).toBe(kraken);
    expect(kraken.recognizes!('wss://beta-ws.kraken.com')).toBe(true);
    expect(kraken.recognizes!('wss://futures.kraken.com/ws/v1')).toBe(false);
    expect(kraken.depthCap).toBe(1000);
  });

  it('speaks v2 under /v2 (the live default) and v1 at the root, in verify (no URL) and on local replay servers', () => {
    expect(kraken.wsUrl).toBe('wss://ws.kraken.com/v2');
    expect(krakenProtocol('wss://ws.kraken.com/v2')).toBe('v2');
    expect(krakenProtocol('wss://beta-ws.kraken.com/v2/')).toBe('v2');
    expect(krakenProtocol('wss://ws.kraken.com')).toBe('v1');
    expect(krakenProtocol('ws://127.0.0.1:9100/')).toBe('v1');
    expect(krakenProtocol('')).toBe('v1');
    // Books keep their configured names on both protocols; the v2 session renames on the wire.
    expect(kraken.plan(['XBT/USD', 'xdg/eur', 'XBT/USD'])[0]).toEqual({ id: 'kraken#0', url: 'wss://ws.kraken.com/v2', venueSymbols: ['XBT/USD', 'XDG/EUR'] });
    expect(krakenV1.plan(['XBT/USD', 'dash/eur'])[0]!.venueSymbols).toEqual(['XBT/USD', 'DASH/EUR']);
    expect(krakenWireSymbol('XBT/USD', 'v1')).toBe('XBT/USD');
    expect(krakenWireSymbol('xbt/usd', 'v2')).toBe('BTC/USD');
    expect(krakenWireSymbol('XDG/XBT', 'v2')).toBe('DOGE/BTC');
    const h = sessionHarness(kraken, ['BTC/USD']);
    expect(h.session).toBeInstanceOf(KrakenV2Session);
    expect(sessionHarness(krakenV1, ['XBT/USD']).session).toBeInstanceOf(KrakenSession);
  });

  it('converts Kraken times to integer milliseconds without floats', () => {
    expect(krakenTimeToMs('1617666423.606671')).toBe(1617666423606);
    expect(krakenTimeToMs('1617666423')).toBe(1617666423000);
  });
});

describe('Kraken session', () => {
  it('subscribes book at depth 1000 and trades, pings with {"event":"ping"}', () => {
    const h = sessionHarness(krakenV1, ['XBT/USD', 'DASH/EUR']);
    h.session.onOpen();
    expect(h.sent.map((s) => JSON.parse(s))).toEqual([
      { event: 'subscribe', pair: ['XBT/USD', 'DASH/EUR'], subscription: { name: 'book', depth: 1000 } },
      { event: 'subscribe', pair: ['XBT/USD', 'DASH/EUR'], subscription: { name: 'trade' } },
    ]);
    expect(JSON.parse(h.session.keepalive!.frame())).toEqual({ event: 'ping' });
  });

  it('scans updates in place and builds exactly what parsing them builds, re-laid-out frames included', async () => {
    const rel = 'kraken/cryptofeed_v1_book1000_XBTUSD+9pairs_2021-04-05_120s.ndjson';
    const frames = (await loadRecording(dataPath(rel))).filter((r) => r.dir === 'recv').map((r) => r.raw);
    // The same real stream with every frame re-rendered with indentation: the in-place scanner
    // declines those and the parsing path takes them. A third copy has a precision change
    // (one more decimal on a real update's volume) to check the decimals notice on both paths.
    const relaid = frames.map((f) => JSON.stringify(JSON.parse(f), null, 1));
    const i = frames.findIndex((f, k) => k > 3000 && f.endsWith('"book-1000","XBT/USD"]') && f.includes('{"b":[["'));
    const widened = frames.map((f, k) => (k === i ? f.replace(/("b":\[\["\d+\.\d+","\d+\.\d+)"/, '$10"') : f));
    expect(widened[i]).not.toBe(frames[i]);
    for (const [x, y] of [
      [frames, relaid],
      [widened, widened.map((f) => JSON.stringify(JSON.parse(f), null, 1))],
    ] as const) {
      const { a } = expectSameOutcome(krakenV1, x, y, 1000);
      expect(a.books.size).toBe(10);
      let checksums = 0;
      for (const sa of a.books.values()) checksums += sa.counters.checksumOk;
      expect(checksums).toBeGreaterThan(10000);
    }
  });

  it('resync unsubscribes and subscribes that pair only; its updates wait for the fresh snapshot', async () => {
    const rel = 'kraken/cryptofeed_v1_book1000_XBTUSD+9pairs_2021-04-05_120s.ndjson';
    const frames = (await loadRecording(dataPath(rel))).filter((r) => r.dir === 'recv').map((r) => r.raw);
    const h = sessionHarness(krakenV1);
    h.feed(frames.slice(0, 2000));
    const xbt = h.books.get('XBT/USD')!;
    expect(xbt.state).toBe('live');
    expect(xbt.book.depthCap).toBe(1000);
    h.session.resync('XBT/USD', 'manual');
    expect(h.sent.map((s) => JSON.parse(s))).toEqual([
      { event: 'unsubscribe', pair: ['XBT/USD'], subscription: { name: 'book', depth: 1000 } },
      { event: 'subscribe', pair: ['XBT/USD'], subscription: { name: 'book', depth: 1000 } },
    ]);
    expect(xbt.state).toBe('resyncing');
    const applied = xbt.counters.applied;
    h.feed(frames.slice(2000));
    expect(xbt.counters.applied).toBe(applied);
    for (const [pair, sb] of h.books) {
      if (pair === 'XBT/USD') continue;
      expect(sb.state, pair).toBe('live');
      expect(sb.counters.checksumFailed, pair).toBe(0);
    }
    // systemStatus, subscriptionStatus and heartbeats are control frames, never warnings.
    expect(h.notices.filter((n) => n.level !== 'info')).toEqual([]);
  });

  it('reports a subscriptionStatus error as an error notice and a subscribe-error on the pair', () => {
    const h = sessionHarness(krakenV1);
    // Error example of the v1 subscribe doc.
    h.feed(['{"errorMessage":"Subscription depth not supported","event":"subscriptionStatus","pair":"XBT/USD","status":"error","subscription":{"depth":42,"name":"book"}}']);
    expect(h.notices.map((n) => [n.level, n.venueSymbol])).toEqual([['error', 'XBT/USD']]);
    const sb = h.books.get('XBT/USD')!;
    expect(sb.anomalies.map((a) => a.kind)).toEqual(['subscribe-error']);
    expect(sb.state).toBe('resyncing');
    // The anomaly asked for a resubscribe of that pair's book.
    expect(h.sent.map((s) => JSON.parse(s).event)).toEqual(['unsubscribe', 'subscribe']);
  });

  it('normalizes v1 trades: taker side from "b"/"s", exact decimals, id = time-index', () => {
    const h = sessionHarness(krakenV1);
    // The example frame of the v1 trade doc (no Kraken spot trade recording exists in ../shared/data).
    h.feed(['[0,[["5541.20000","0.15850568","1534614057.321597","s","l",""],["6060.00000","0.02455000","1534614057.324998","b","l",""]],"trade","XBT/USD"]']);
    expect(h.trades.map((t) => [t.symbol, t.tradeId, t.takerSide, formatScaled(t.price, t.priceScale), formatScaled(t.size, t.sizeScale), t.exchTsMs])).toEqual([
      ['XBT/USD', '1534614057.321597-0', 'sell', '5541.2', '0.15850568', 1534614057321],
      ['XBT/USD', '1534614057.324998-1', 'buy', '6060', '0.02455', 1534614057324],
    ]);
  });
});
