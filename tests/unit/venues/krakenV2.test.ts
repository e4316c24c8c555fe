/**
 * Kraken spot WebSocket v2, proven on Kraken's documentation examples only: no v2 recording exists
 * in ../shared/data (PROVENANCE.md, "Not found: a recording of Kraken WebSocket v2"). Every frame
 * below is a message printed in Kraken's docs, compacted to one line, or a fault transformation of
 * one; the source page is named at each frame:
 * - BOOK_DOC   https://docs.kraken.com/api/docs/websocket-v2/book (subscribe, ack, MATIC/USD
 *   snapshot with checksum 2439117997, update with checksum 2114181697)
 * - GUIDE_DOC  https://docs.kraken.com/api/docs/guides/spot-ws-book-v2 (BTC/USD worked example,
 *   checksum 3310070434, its concatenated asks and bids strings)
 * - INSTR_DOC  https://docs.kraken.com/api/docs/websocket-v2/instrument (BTC/USD precisions 1/8)
 * - TRADE_DOC  https://docs.kraken.com/api/docs/websocket-v2/trade (update example, error example)
 */
import { describe, expect, it } from 'vitest';
import { formatScaled } from '../../../src-shared/model/decimal.ts';
import { krakenBookChecksum, krakenBookChecksumText } from '../../../src-main/engine/venues/kraken/krakenChecksum.ts';
import { KRAKEN_V2_REQ, KrakenV2Session, rfc3339ToMs } from '../../../src-main/engine/venues/kraken/krakenV2Session.ts';
import { kraken } from '../../../src-main/engine/venues/kraken/krakenSpec.ts';
import { sessionHarness } from '../../support/sessionHarness.ts';
import type { SessionHarness } from '../../support/sessionHarness.ts';

// BOOK_DOC, "Snapshot Response" example.
const MATIC_SNAPSHOT =
  '{"channel":"book","type":"snapshot","data":[{"symbol":"MATIC/USD","bids":[{"price":0.5666,"qty":4831.75496356},{"price":0.5665,"qty":6658.22734739},{"price":0.5664,"qty":18724.91513344},{"price":0.5663,"qty":11563.92544914},{"price":0.5662,"qty":14006.65365711},{"price":0.5661,"qty":17454.85679807},{"price":0.566,"qty":18097.1547},{"price":0.5659,"qty":33644.89175666},{"price":0.5658,"qty":148.3464},{"price":0.5657,"qty":606.70854372}],"asks":[{"price":0.5668,"qty":4410.79769741},{"price":0.5669,"qty":4655.40412487},{"price":0.567,"qty":49844.89424998},{"price":0.5671,"qty":24306.41678},{"price":0.5672,"qty":29783.25223475},{"price":0.5673,"qty":57234.71239278},{"price":0.5674,"qty":45065.04744},{"price":0.5675,"qty":5912.76380354},{"price":0.5676,"qty":42514.92434778},{"price":0.5677,"qty":36304.0847022}],"checksum":2439117997,"timestamp":"2023-10-06T17:35:55.440295Z"}]}';
// BOOK_DOC, "Update Response" example: the 10th bid (0.5657) changes to 1098.3947558.
const MATIC_UPDATE =
  '{"channel":"book","type":"update","data":[{"symbol":"MATIC/USD","bids":[{"price":0.5657,"qty":1098.3947558}],"asks":[],"checksum":2114181697,"timestamp":"2023-10-06T17:35:55.440295Z"}]}';
// BOOK_DOC, "Example: Subscribe Ack" (second answer).
const MATIC_ACK =
  '{"method":"subscribe","result":{"channel":"book","depth":10,"snapshot":true,"symbol":"MATIC/USD"},"success":true,"time_in":"2023-10-06T17:35:55.219022Z","time_out":"2023-10-06T17:35:55.219067Z"}';

// GUIDE_DOC worked example: the top 10 of a BTC/USD book in the guide's layout (decimal strings at
// the pair's precision), and the two strings the guide prints for it.
const GUIDE_ASKS: [string, string][] = [
  ['45285.2', '0.00100000'], ['45286.4', '1.54571953'], ['45286.6', '1.54571109'], ['45289.6', '1.54560911'], ['45290.2', '0.15890660'],
  ['45291.8', '1.54553491'], ['45294.7', '0.04454749'], ['45296.1', '0.35380000'], ['45297.5', '0.09945542'], ['45299.5', '0.18772827'],
];
const GUIDE_BIDS: [string, string][] = [
  ['45283.5', '0.10000000'], ['45283.4', '1.54582015'], ['45282.1', '0.10000000'], ['45281.0', '0.10000000'], ['45280.3', '1.54592586'],
  ['45279.0', '0.07990000'], ['45277.6', '0.03310103'], ['45277.5', '0.30000000'], ['45277.3', '1.54602737'], ['45276.6', '0.15445238'],
];
const GUIDE_ASKS_TEXT = '45285210000045286415457195345286615457110945289615456091145290215890660452918154553491452947445474945296135380000452975994554245299518772827';
const GUIDE_BIDS_TEXT = '452835100000004528341545820154528211000000045281010000000452803154592586452790799000045277633101034527753000000045277315460273745276615445238';
const levelsJson = (ls: [string, string][]): string => ls.map(([p, q]) => `{"price":"${p}","qty":"${q}"}`).join(',');
const GUIDE_SNAPSHOT = `{"channel":"book","type":"snapshot","data":[{"symbol":"BTC/USD","bids":[${levelsJson(GUIDE_BIDS)}],"asks":[${levelsJson(GUIDE_ASKS)}],"checksum":3310070434}]}`;

// INSTR_DOC "Example: Snapshot", pairs BTC/USD and MATIC/GBP (assets elided).
const INSTRUMENT_SNAPSHOT =
  '{"channel":"instrument","type":"snapshot","data":{"assets":[],"pairs":[{"symbol":"BTC/USD","base":"BTC","quote":"USD","status":"online","qty_precision":8,"qty_increment":1e-08,"price_precision":1,"cost_precision":5,"marginable":true,"has_index":true,"cost_min":0.5,"margin_initial":0.2,"position_limit_long":250,"position_limit_short":200,"tick_size":0.1,"price_increment":0.1,"qty_min":0.0001},{"symbol":"MATIC/GBP","base":"MATIC","quote":"GBP","status":"online","qty_precision":8,"qty_increment":1e-08,"price_precision":4,"cost_precision":6,"marginable":false,"has_index":true,"cost_min":0.43,"tick_size":0.0001,"price_increment":0.0001,"qty_min":4.0}]}}';

// TRADE_DOC "Update Response" example and the subscribe failure example.
const TRADE_UPDATE =
  '{"channel":"trade","type":"update","data":[{"symbol":"MATIC/USD","side":"sell","price":0.5117,"qty":40.0,"ord_type":"market","trade_id":4665906,"timestamp":"2023-09-25T07:49:37.708706Z"}]}';
const SUBSCRIBE_FAILURE =
  '{"error":"Currency pair not supported XBT/USD","method":"subscribe","success":false,"symbol":"XBT/USD","time_in":"2018-11-12T21:14:59.545897Z","time_out":"2018-11-12T21:14:59.545901Z"}';

function v2(symbols: string[] = []): SessionHarness & { v2: KrakenV2Session } {
  const h = sessionHarness(kraken, symbols);
  expect(h.session).toBeInstanceOf(KrakenV2Session);
  return Object.assign(h, { v2: h.session as KrakenV2Session });
}

describe('Kraken v2 book, documentation examples only (no v2 recording exists)', () => {
  it('BOOK_DOC MATIC/USD: the snapshot checksum 2439117997 verifies, then the update checksum 2114181697', () => {
    const h = v2();
    h.feed([MATIC_SNAPSHOT]);
    const sb = h.books.get('MATIC/USD')!;
    expect(sb.state).toBe('live');
    // v2 checksums the snapshot itself (v1 does not).
    expect(sb.counters.checksumOk).toBe(1);
    // No instrument message yet: the decimals are learnt from the text, 4 price and 8 qty digits.
    expect(h.v2.decimalsOf('MATIC/USD')).toEqual({ decimals: { price: 4, size: 8 }, source: 'learned' });
    h.feed([MATIC_UPDATE]);
    expect(sb.state).toBe('live');
    expect(sb.counters.checksumOk).toBe(2);
    expect(sb.counters.checksumFailed).toBe(0);
    expect(formatScaled(sb.book.bids.priceAt(9), sb.book.priceScale)).toBe('0.5657');
    expect(formatScaled(sb.book.bids.sizeAtLevel(9), sb.book.sizeScale)).toBe('1098.3947558');
    expect(sb.lastExchTsMs).toBe(Date.UTC(2023, 9, 6, 17, 35, 55, 440));
    expect(h.notices.filter((n) => n.level !== 'info')).toEqual([]);
  });

  it('BOOK_DOC MATIC/USD: JSON numbers are kept exactly, and the checksum needs them padded to the pair precision', () => {
    const h = v2();
    h.feed([MATIC_SNAPSHOT]);
    const b = h.books.get('MATIC/USD')!.book;
    // The book holds the digits as written: 18097.1547 and 0.566 (no binary rounding).
    expect(formatScaled(b.bids.sizeAtLevel(6), b.sizeScale)).toBe('18097.1547');
    expect(formatScaled(b.bids.priceAt(6), b.priceScale)).toBe('0.566');
    expect(formatScaled(b.asks.sizeAtLevel(9), b.sizeScale)).toBe('36304.0847022');
    expect(krakenBookChecksum(b, { price: 4, size: 8 })).toBe(2439117997);
    // Hashing the JSON text as sent ("566", "180971547") gives another number: the trailing zeros matter.
    expect(krakenBookChecksum(b, { price: 3, size: 4 })).not.toBe(2439117997);
    expect(krakenBookChecksumText(b, { price: 4, size: 8 }).startsWith('5668441079769741')).toBe(true);
  });

  it('GUIDE_DOC BTC/USD worked example: 3310070434, with the asks and bids strings the guide prints', () => {
    const h = v2();
    h.feed([INSTRUMENT_SNAPSHOT, GUIDE_SNAPSHOT]);
    const sb = h.books.get('BTC/USD')!;
    expect(sb.state).toBe('live');
    expect(sb.counters.checksumOk).toBe(1);
    expect(h.v2.decimalsOf('BTC/USD')).toEqual({ decimals: { price: 1, size: 8 }, source: 'instrument' });
    expect(krakenBookChecksumText(sb.book, { price: 1, size: 8 })).toBe(GUIDE_ASKS_TEXT + GUIDE_BIDS_TEXT);
    expect(krakenBookChecksum(sb.book, { price: 1, size: 8 })).toBe(3310070434);
    // The book itself dropped the trailing zeros ("0.1"), the checksum put them back.
    expect(formatScaled(sb.book.bids.bestSize(), sb.book.sizeScale)).toBe('0.1');
  });

  it('INSTR_DOC: precisions from the instrument channel win over the learnt ones and are kept for later books', () => {
    const h = v2();
    h.feed([INSTRUMENT_SNAPSHOT]);
    // Known before any book: a BTC/USD book starts with the instrument precisions.
    h.feed([GUIDE_SNAPSHOT]);
    expect(h.v2.decimalsOf('BTC/USD')!.source).toBe('instrument');
    // MATIC/USD is not in the example: its decimals are learnt from its book.
    h.feed([MATIC_SNAPSHOT]);
    expect(h.v2.decimalsOf('MATIC/USD')).toEqual({ decimals: { price: 4, size: 8 }, source: 'learned' });
    // The guide snapshot, before the instrument message: learnt from the fixed-decimal strings.
    const h2 = v2();
    h2.feed([GUIDE_SNAPSHOT]);
    expect(h2.v2.decimalsOf('BTC/USD')).toEqual({ decimals: { price: 1, size: 8 }, source: 'learned' });
    expect(h2.books.get('BTC/USD')!.counters.checksumOk).toBe(1);
    h2.feed([INSTRUMENT_SNAPSHOT]);
    expect(h2.v2.decimalsOf('BTC/USD')).toEqual({ decimals: { price: 1, size: 8 }, source: 'instrument' });
  });

  it('BOOK_DOC subscribe layout: instrument first, then book (depth, snapshot) and trade, one req_id per channel; ping is {"method":"ping"}', () => {
    const h = v2(['BTC/USD', 'MATIC/USD']);
    h.session.onOpen();
    expect(h.sent.map((s) => JSON.parse(s))).toEqual([
      { method: 'subscribe', params: { channel: 'instrument', snapshot: true }, req_id: KRAKEN_V2_REQ.instrument },
      { method: 'subscribe', params: { channel: 'book', symbol: ['BTC/USD', 'MATIC/USD'], depth: 1000, snapshot: true }, req_id: KRAKEN_V2_REQ.book },
      { method: 'subscribe', params: { channel: 'trade', symbol: ['BTC/USD', 'MATIC/USD'], snapshot: false }, req_id: KRAKEN_V2_REQ.trade },
    ]);
    expect(JSON.parse(h.session.keepalive!.frame())).toEqual({ method: 'ping' });
  });

  it('a book configured with the v1 name (XBT/USD) is subscribed as BTC/USD and fed by the BTC/USD messages (GUIDE_DOC snapshot)', () => {
    const h = v2(['XBT/USD', 'BTC/USD']);
    h.session.onOpen();
    const book = JSON.parse(h.sent[1]!) as { params: { symbol: string[] } };
    expect(book.params.symbol).toEqual(['BTC/USD']);
    // Two names of one v2 pair: one subscription, and the second name is reported.
    expect(h.notices.map((n) => [n.level, n.venueSymbol])).toEqual([['warn', 'BTC/USD']]);
    h.feed([INSTRUMENT_SNAPSHOT, GUIDE_SNAPSHOT]);
    const sb = h.books.get('XBT/USD')!;
    expect(sb.state).toBe('live');
    expect(sb.counters.checksumOk).toBe(1);
    expect(h.v2.decimalsOf('XBT/USD')).toEqual({ decimals: { price: 1, size: 8 }, source: 'instrument' });
    expect(sb.instrument.symbol).toBe('BTC-USD');
    h.sent.length = 0;
    h.session.resync('XBT/USD', 'manual');
    expect(h.sent.map((f) => (JSON.parse(f) as { params: { symbol: string[] } }).params.symbol)).toEqual([['BTC/USD'], ['BTC/USD']]);
  });

  it('BOOK_DOC ack: the acknowledged depth (10) becomes the book window', () => {
    const h = v2();
    h.feed([MATIC_ACK, MATIC_SNAPSHOT]);
    const sb = h.books.get('MATIC/USD')!;
    expect(sb.book.depthCap).toBe(10);
    expect(sb.book.bids.count).toBe(10);
    expect(sb.state).toBe('live');
  });
});

describe('Kraken v2 faults, transformations of the documentation examples', () => {
  it('the update applied twice leaves the same book (absolute sizes) and verifies twice', () => {
    const h = v2();
    h.feed([MATIC_SNAPSHOT, MATIC_UPDATE, MATIC_UPDATE]);
    const sb = h.books.get('MATIC/USD')!;
    expect(sb.counters.checksumOk).toBe(3);
    expect(sb.state).toBe('live');
  });

  it('a corrupted update quantity fails the checksum; the pair alone resubscribes its book at its depth', () => {
    const h = v2();
    const corrupted = MATIC_UPDATE.replace('1098.3947558', '1098.3947559');
    h.feed([MATIC_ACK, MATIC_SNAPSHOT, corrupted]);
    const sb = h.books.get('MATIC/USD')!;
    expect(sb.state).toBe('resyncing');
    expect(sb.anomalies.map((a) => a.kind)).toEqual(['checksum-mismatch']);
    expect(h.sent.map((s) => JSON.parse(s))).toEqual([
      { method: 'unsubscribe', params: { channel: 'book', symbol: ['MATIC/USD'], depth: 10 }, req_id: KRAKEN_V2_REQ.book },
      { method: 'subscribe', params: { channel: 'book', symbol: ['MATIC/USD'], depth: 10, snapshot: true }, req_id: KRAKEN_V2_REQ.book },
    ]);
    // Updates in flight wait for the fresh snapshot; the snapshot makes the book live again.
    h.feed([MATIC_UPDATE]);
    expect(sb.state).toBe('resyncing');
    h.feed([MATIC_SNAPSHOT]);
    expect(sb.state).toBe('live');
    expect(sb.counters.checksumOk).toBe(2);
  });

  it('a corrupted snapshot checksum keeps the book out of live (v2 proves the snapshot too)', () => {
    const h = v2();
    h.feed([MATIC_SNAPSHOT.replace('"checksum":2439117997', '"checksum":2439117998')]);
    const sb = h.books.get('MATIC/USD')!;
    expect(sb.state).toBe('resyncing');
    expect(sb.counters.checksumFailed).toBe(1);
    expect(sb.counters.applied).toBe(0);
  });

  it('an update without its snapshot is never applied', () => {
    const h = v2();
    h.feed([MATIC_UPDATE]);
    const sb = h.books.get('MATIC/USD')!;
    expect(sb.state).toBe('connecting');
    expect(sb.counters.applied).toBe(0);
  });

  it('TRADE_DOC failure example: an error notice and a subscribe-error on that pair', () => {
    const h = v2();
    h.feed([SUBSCRIBE_FAILURE]);
    expect(h.notices.map((n) => [n.level, n.venueSymbol])).toEqual([['error', 'XBT/USD']]);
    expect(h.books.get('XBT/USD')!.anomalies.map((a) => a.kind)).toEqual(['subscribe-error']);
  });
});

describe('Kraken v2 trades, documentation example', () => {
  it('TRADE_DOC update: trade_id is the id, side is the taker side, exact decimals, repeats dropped', () => {
    const h = v2();
    h.feed([TRADE_UPDATE, TRADE_UPDATE]);
    expect(h.trades.map((t) => [t.symbol, t.tradeId, t.takerSide, formatScaled(t.price, t.priceScale), formatScaled(t.size, t.sizeScale), t.exchTsMs])).toEqual([
      ['MATIC/USD', '4665906', 'sell', '0.5117', '40', Date.UTC(2023, 8, 25, 7, 49, 37, 708)],
    ]);
  });

  it('reads RFC 3339 times to the millisecond without floats', () => {
    expect(rfc3339ToMs('2023-10-06T17:35:55.440295Z')).toBe(Date.UTC(2023, 9, 6, 17, 35, 55, 440));
    expect(rfc3339ToMs('2023-10-06T17:35:55Z')).toBe(Date.UTC(2023, 9, 6, 17, 35, 55, 0));
    expect(rfc3339ToMs('not a time')).toBe(0);
  });
});
