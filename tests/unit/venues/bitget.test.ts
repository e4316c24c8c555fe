/**
 * Bitget v2 `books`: no public recording of the v2 feed exists (PROVENANCE.md), so v2 is proven
 * here on the documentation's worked examples and message layouts only:
 * - checksum strings of the Depth-Channel page: "43231.1:4:43232.8:9:43231:6:43232.9:8" and
 *   "3366.1:7:3366.8:9:3368:8:3372:8" (https://www.bitget.com/api-doc/spot/websocket/public/Depth-Channel);
 * - the push layout and levels of the classic Depth-Channel page (asks 26274.9/0.0009,
 *   26275.0/0.0500, bids 26274.8/0.0009, 26274.7/0.0027, seq 123,
 *   https://www.bitget.org/api-doc/classic/spot/websocket/public/Depth-Channel);
 * - `pseq` as reported in https://github.com/JKorf/Bitget.Net/pull/89.
 * Expected checksums are computed here with node:zlib over the documented strings.
 * The v1 recording is verified in tests/replay/bitgetVerify.test.ts; the last block here cuts a
 * replay snapshot from it.
 */
import { describe, expect, it } from 'vitest';
import { crc32 } from 'node:zlib';
import { formatScaled } from '../../../src-shared/model/decimal.ts';
import { bitgetContinuity } from '../../../src-main/engine/venues/bitget/bitgetSession.ts';
import { bitget, bitgetInstrument } from '../../../src-main/engine/venues/bitget/bitgetSpec.ts';
import { bitgetVenueSymbol, bitgetWireArg } from '../../../src-main/engine/venues/bitget/bitgetSymbol.ts';
import { fractionDigits } from '../../../src-main/engine/venues/bitget/bitgetLevelText.ts';
import { venueForUrl } from '../../../src-main/engine/venues/registry.ts';
import { sessionHarness } from '../../support/sessionHarness.ts';
import { dataPath } from '../../support/data.ts';
import { loadRecording } from '../../../src-main/engine/replay/recording.ts';
import { VerifyRun } from '../../../src-main/engine/verify/verify.ts';
import { bitgetReplay } from '../../../src-main/engine/venues/bitget/bitgetReplay.ts';

const signedCrc = (text: string): number => crc32(Buffer.from(text, 'utf8')) | 0;

type Lv = [string, string];

/** A v2 `books` push in the documented layout. */
function push(action: 'snapshot' | 'update', d: { asks?: Lv[]; bids?: Lv[]; checksum?: number; seq?: number; pseq?: number }, instId = 'BTCUSDT', instType = 'SPOT'): string {
  return JSON.stringify({ action, arg: { instType, channel: 'books', instId }, data: [{ asks: d.asks ?? [], bids: d.bids ?? [], ...d, ts: '1695710946294' }], ts: 1695710946294 });
}

const DOC_ASKS: Lv[] = [['26274.9', '0.0009'], ['26275.0', '0.0500']];
const DOC_BIDS: Lv[] = [['26274.8', '0.0009'], ['26274.7', '0.0027']];

describe('Bitget checksum on the documentation examples', () => {
  it('example 1 (more than 25 levels, shown with 2): original strings, interleaved, signed CRC-32', () => {
    const h = sessionHarness(bitget, ['BTCUSDT']);
    const checksum = signedCrc('43231.1:4:43232.8:9:43231:6:43232.9:8');
    expect(checksum).toBe(-1504501796); // venues.md section 13 (zlib)
    h.feed([push('snapshot', { bids: [['43231.1', '4'], ['43231', '6']], asks: [['43232.8', '9'], ['43232.9', '8']], checksum, seq: 1 })]);
    const sb = h.books.get('BTCUSDT')!;
    expect(sb.state).toBe('live');
    expect(sb.counters.checksumOk).toBe(1);
  });

  it('example 2 (fewer than 25 bids): the ask side continues alone', () => {
    const h = sessionHarness(bitget, ['BTCUSDT']);
    const checksum = signedCrc('3366.1:7:3366.8:9:3368:8:3372:8');
    h.feed([push('snapshot', { bids: [['3366.1', '7']], asks: [['3366.8', '9'], ['3368', '8'], ['3372', '8']], checksum, seq: 1 })]);
    expect(h.books.get('BTCUSDT')!.counters.checksumOk).toBe(1);
  });

  it('hashes trailing zeros as sent ("26275.0", "0.0500"), and a wrong value is a mismatch -> resubscribe', () => {
    const text = '26274.8:0.0009:26274.9:0.0009:26274.7:0.0027:26275.0:0.0500';
    const ok = sessionHarness(bitget, ['BTCUSDT']);
    ok.feed([push('snapshot', { asks: DOC_ASKS, bids: DOC_BIDS, checksum: signedCrc(text), seq: 123 })]);
    expect(ok.books.get('BTCUSDT')!.counters.checksumOk).toBe(1);

    const bad = sessionHarness(bitget, ['BTCUSDT']);
    bad.feed([push('snapshot', { asks: DOC_ASKS, bids: DOC_BIDS, checksum: signedCrc(text.replace('26275.0', '26275')), seq: 123 })]);
    const sb = bad.books.get('BTCUSDT')!;
    expect(sb.state).toBe('resyncing');
    expect(sb.anomalies.map((a) => a.kind)).toEqual(['checksum-mismatch']);
    expect(bad.sent.map((f) => JSON.parse(f) as unknown)).toEqual([
      { op: 'unsubscribe', args: [{ instType: 'SPOT', instId: 'BTCUSDT', channel: 'books' }] },
      { op: 'subscribe', args: [{ instType: 'SPOT', instId: 'BTCUSDT', channel: 'books' }] },
    ]);
  });

  it('a missing or zero checksum is "not provided", never a failure (the field may be gone, Bitget.Net PR #89)', () => {
    const h = sessionHarness(bitget, ['BTCUSDT']);
    h.feed([push('snapshot', { asks: DOC_ASKS, bids: DOC_BIDS, seq: 123 }), push('update', { asks: [['26274.9', '0']], checksum: 0, seq: 124, pseq: 123 })]);
    const sb = h.books.get('BTCUSDT')!;
    expect(sb.state).toBe('live');
    expect(sb.counters.checksumNotProvided).toBe(2);
    expect(sb.counters.checksumFailed).toBe(0);
    expect(formatScaled(sb.book.asks.bestPrice(), sb.book.priceScale)).toBe('26275');
  });
});

describe('Bitget v2 continuity on the documented layout', () => {
  it('pseq chains to the last applied seq; a repeat is a duplicate; a hole resubscribes that book only', () => {
    const h = sessionHarness(bitget, ['BTCUSDT', 'ETHUSDT']);
    h.feed([
      push('snapshot', { asks: DOC_ASKS, bids: DOC_BIDS, seq: 123 }),
      push('snapshot', { asks: DOC_ASKS, bids: DOC_BIDS, seq: 7 }, 'ETHUSDT'),
      push('update', { asks: [['26274.9', '0']], seq: 124, pseq: 123 }),
      push('update', { asks: [['26274.9', '0']], seq: 124, pseq: 123 }),
      push('update', { bids: [['26274.8', '0']], seq: 125, pseq: 124 }),
    ]);
    const btc = h.books.get('BTCUSDT')!;
    expect(btc.state).toBe('live');
    expect(btc.seq).toBe(125);
    expect(btc.counters.duplicates).toBe(1);
    expect(formatScaled(btc.book.bids.bestPrice(), btc.book.priceScale)).toBe('26274.7');

    h.feed([push('update', { bids: [['26274.7', '0']], seq: 131, pseq: 130 })]);
    expect(btc.state).toBe('resyncing');
    expect(btc.anomalies.at(-1)!.kind).toBe('gap');
    expect(h.books.get('ETHUSDT')!.state).toBe('live');
    // Updates of the old subscription are not applied while the fresh snapshot is on its way.
    h.feed([push('update', { bids: [['26274.7', '0']], seq: 132, pseq: 131 })]);
    expect(btc.book.bids.count).toBe(1);
    h.feed([push('snapshot', { asks: DOC_ASKS, bids: DOC_BIDS, seq: 140 })]);
    expect(btc.state).toBe('live');
    expect(btc.book.levelCount()).toBe(4);
  });

  it('without pseq, seq must increase ("incrementing except during symbol maintenance"); going back resubscribes', () => {
    expect(bitgetContinuity(130, undefined, 123)).toBe('ok');
    expect(bitgetContinuity(123, undefined, 123)).toBe('duplicate');
    expect(bitgetContinuity(5, undefined, 123)).toBe('reset');
    expect(bitgetContinuity(124, 123, 123)).toBe('ok');
    expect(bitgetContinuity(123, 122, 123)).toBe('duplicate');
    expect(bitgetContinuity(100, 99, 123)).toBe('regress');
    expect(bitgetContinuity(131, 130, 125)).toBe('gap');

    const h = sessionHarness(bitget, ['BTCUSDT']);
    h.feed([push('snapshot', { asks: DOC_ASKS, bids: DOC_BIDS, seq: 123 }), push('update', { asks: [['26274.9', '0']], seq: 130 }), push('update', { asks: [['26275.0', '0']], seq: 5 })]);
    const sb = h.books.get('BTCUSDT')!;
    expect(sb.counters.applied).toBe(2);
    expect(sb.state).toBe('resyncing');
    expect(sb.anomalies.map((a) => a.kind)).toEqual(['venue-reset']);
  });

  it('futures books are kept apart from the spot book of the same instId', () => {
    const h = sessionHarness(bitget, ['BTCUSDT', 'BTCUSDT_UMCBL']);
    h.feed([
      push('snapshot', { asks: DOC_ASKS, bids: DOC_BIDS, seq: 1 }),
      push('snapshot', { asks: [['26275.0', '0.0500']], bids: [['26274.7', '0.0027']], seq: 1 }, 'BTCUSDT', 'USDT-FUTURES'),
    ]);
    expect(h.books.get('BTCUSDT')!.book.levelCount()).toBe(4);
    expect(h.books.get('BTCUSDT_UMCBL')!.book.levelCount()).toBe(2);
    expect(h.books.get('BTCUSDT_UMCBL')!.instrument.symbol).toBe('BTC-USDT-PERP');
  });
});

describe('Bitget naming and subscriptions', () => {
  it('maps wire (instType, instId) to venue symbols in both dialects and back', () => {
    expect(bitgetVenueSymbol('sp', 'EOSUSDT')).toBe('EOSUSDT');
    expect(bitgetVenueSymbol('mc', 'DASHUSDT')).toBe('DASHUSDT_UMCBL');
    expect(bitgetVenueSymbol('MC', 'BTCUSD')).toBe('BTCUSD_DMCBL');
    expect(bitgetVenueSymbol('SPOT', 'BTCUSDT')).toBe('BTCUSDT');
    expect(bitgetVenueSymbol('USDT-FUTURES', 'BTCUSDT')).toBe('BTCUSDT_UMCBL');
    expect(bitgetVenueSymbol('COIN-FUTURES', 'BTCUSD')).toBe('BTCUSD_DMCBL');
    expect(bitgetVenueSymbol('USDC-FUTURES', 'BTCPERP')).toBe('BTCPERP_CMCBL');
    expect(bitgetVenueSymbol('MARGIN', 'BTCUSDT')).toBeUndefined();
    expect(bitgetWireArg('DASHUSDT_UMCBL', 'v1')).toEqual({ instType: 'MC', instId: 'DASHUSDT' });
    expect(bitgetWireArg('BTCUSD_DMCBL', 'v2')).toEqual({ instType: 'COIN-FUTURES', instId: 'BTCUSD' });
  });

  it('names instruments', () => {
    const n = (s: string) => {
      const i = bitgetInstrument(s);
      return [i.symbol, i.kind, i.inverse];
    };
    expect(n('BTCUSDT')).toEqual(['BTC-USDT', 'spot', false]);
    expect(n('BTCUSDT_UMCBL')).toEqual(['BTC-USDT-PERP', 'perpetual', false]);
    expect(n('BTCUSD_DMCBL')).toEqual(['BTC-USD-PERP-INV', 'perpetual', true]);
    expect(n('BTCPERP_CMCBL')).toEqual(['BTC-USDC-PERP', 'perpetual', false]);
  });

  it('subscribes books and trades in one request on the v2 endpoint and answers pings', () => {
    const h = sessionHarness(bitget, ['BTCUSDT', 'ETHUSDT_UMCBL']);
    h.session.onOpen();
    expect(JSON.parse(h.sent[0]!)).toEqual({
      op: 'subscribe',
      args: [
        { instType: 'SPOT', instId: 'BTCUSDT', channel: 'books' },
        { instType: 'SPOT', instId: 'BTCUSDT', channel: 'trade' },
        { instType: 'USDT-FUTURES', instId: 'ETHUSDT', channel: 'books' },
        { instType: 'USDT-FUTURES', instId: 'ETHUSDT', channel: 'trade' },
      ],
    });
    expect(h.session.keepalive?.frame()).toBe('ping');
    expect(bitget.plan(['BTCUSDT'])[0]!.url).toBe('wss://ws.bitget.com/v2/ws/public');
    expect(venueForUrl('wss://ws.bitget.com/v2/ws/public')?.id).toBe('bitget');
    expect(venueForUrl('wss://ws.bitget.com/mix/v1/stream')?.id).toBe('bitget');
  });

  it('counts fraction digits as written', () => {
    expect([fractionDigits('0.0500'), fractionDigits('145214'), fractionDigits('26275.0'), fractionDigits('0.00003530')]).toEqual([4, 0, 1, 8]);
  });
});

describe('Bitget replay: a snapshot cut from the reference', () => {
  it('renders the original strings, so its checksum and every later recorded checksum verify', async () => {
    const records = await loadRecording(dataPath('bitget/cryptofeed_v1_books_spot+mix_2022-04-07.ndjson'));
    const isDash = (raw: string) => raw.startsWith('{"action"') && raw.includes('"channel":"books"') && raw.includes('"instId":"DASHUSDT"');
    // Cut after DASHUSDT's 40th book push.
    let seen = 0;
    const cut = records.findIndex((r) => r.dir === 'recv' && isDash(r.raw) && ++seen === 40);
    const run = new VerifyRun('bitget', {});
    for (const r of records.slice(0, cut + 1)) run.handle(r);
    const ref = [...run.allBooks()].find((b) => b.symbol === 'DASHUSDT_UMCBL')!;
    const frames = bitgetReplay('v1').snapshotFrames!({ symbol: 'DASHUSDT_UMCBL', channel: 'depth' }, ref);
    expect(frames).toHaveLength(1);
    const rest = records.slice(cut + 1).filter((r) => r.dir === 'recv' && isDash(r.raw)).map((r) => r.raw);
    expect(rest.length).toBe(98 - 40);
    const h = sessionHarness(bitget, ['DASHUSDT_UMCBL']);
    h.feed([...frames, ...rest]);
    const sb = h.books.get('DASHUSDT_UMCBL')!;
    expect(sb.state).toBe('live');
    expect(sb.counters.checksumFailed).toBe(0);
    expect(sb.counters.checksumOk).toBe(1 + rest.length);
  });
});
