/**
 * The Kraken spot v1 and Kraken Futures replay protocols against the real recordings: their
 * answers are the recorded answers, byte for byte, and a book snapshot cut from the reference in
 * the middle of the stream is one the engine's session accepts and on which every later recorded
 * message of that book applies (v1: every checksum verifies; Futures: the seq chain continues).
 */
import { describe, expect, it } from 'vitest';
import { loadRecording } from '../../../src-main/engine/replay/recording.ts';
import type { RecordLine } from '../../../src-main/engine/replay/recording.ts';
import { replayProtocol } from '../../../src-main/engine/replay/replayProtocols.ts';
import type { ReplayProtocol } from '../../../src-main/engine/replay/replayProtocol.ts';
import type { SymbolBook } from '../../../src-main/engine/sync/symbolBook.ts';
import { VerifyRun } from '../../../src-main/engine/verify/verify.ts';
import { krakenFuturesReplay } from '../../../src-main/engine/venues/kraken/krakenFuturesReplay.ts';
import { krakenFutures } from '../../../src-main/engine/venues/kraken/krakenFuturesSpec.ts';
import { krakenReplay } from '../../../src-main/engine/venues/kraken/krakenReplay.ts';
import { KRAKEN_WS_URL, kraken } from '../../../src-main/engine/venues/kraken/krakenSpec.ts';
import type { VenueSpec } from '../../../src-main/engine/venues/venue.ts';
import { dataPath } from '../../support/data.ts';
import { sessionHarness } from '../../support/sessionHarness.ts';

const SPOT_FILE = 'cryptofeed_v1_book1000_XBTUSD+9pairs_2021-04-05_120s.ndjson';
const FUTURES_FILE = 'cryptofeed_futures_v1_book_2021-07-22.ndjson';

/** The Kraken venue at a v1 (root) URL, as it connects to the replay server. */
const krakenV1: VenueSpec = { ...kraken, wsUrl: KRAKEN_WS_URL, plan: (symbols: string[]) => kraken.plan(symbols, KRAKEN_WS_URL) };

/** A protocol after it has read the recording, as the replay server's timeline does. */
function primed(p: ReplayProtocol, records: readonly RecordLine[]): ReplayProtocol {
  for (const r of records) if (r.dir === 'recv') p.topicOf(r.raw);
  return p;
}

/** The reference book of `symbol` after the first `n` records. */
function referenceAfter(records: readonly RecordLine[], file: string, n: number, symbol: string): SymbolBook {
  let ref: SymbolBook | undefined;
  const run = new VerifyRun(file, {
    onApplied: (sb) => {
      if (sb.symbol === symbol) ref = sb;
    },
  });
  for (const r of records.slice(0, n)) run.handle(r);
  if (ref === undefined) throw new Error(`${symbol} not live after ${n} records`);
  return ref;
}

/** Index after the n-th received frame `match` accepts. */
function after(records: readonly RecordLine[], n: number, match: (raw: string) => boolean): number {
  let seen = 0;
  return records.findIndex((r) => r.dir === 'recv' && match(r.raw) && ++seen === n) + 1;
}

describe('krakenReplay (spot v1)', () => {
  it('is the registered replay of kraken and serves v1 at the root only', () => {
    expect(replayProtocol('kraken')?.venue).toBe('kraken');
    const p = krakenReplay();
    expect(p.connect(new URL('ws://127.0.0.1:1/'))).toEqual({ topics: [] });
    expect('refuse' in p.connect(new URL('ws://127.0.0.1:1/v2'))).toBe(true);
  });

  it('answers the recorded subscribe request exactly as Kraken did (one subscriptionStatus per pair, recorded channelIDs)', async () => {
    const records = await loadRecording(dataPath(`kraken/${SPOT_FILE}`));
    const p = primed(krakenReplay(), records);
    const request = records.find((r) => r.dir === 'send')!.raw;
    const recorded = records.filter((r) => r.dir === 'recv' && r.raw.includes('"event":"subscriptionStatus"')).map((r) => r.raw);
    const result = p.clientFrame(request, []);
    expect(result.replies).toEqual(recorded);
    expect(result.subscribe!.map((t) => t.symbol).sort()).toEqual(['ALGO/XBT', 'AUD/USD', 'DASH/EUR', 'FIL/XBT', 'ICX/USD', 'KAVA/USD', 'LSK/USD', 'USDC/GBP', 'WAVES/ETH', 'XBT/USD']);
    expect(result.subscribe!.every((t) => p.isBookChannel(t.channel))).toBe(true);
  });

  it('answers pings (with reqid) and refuses malformed requests as v1 does', () => {
    const p = krakenReplay();
    expect(p.clientFrame('{"event":"ping","reqid":42}', []).replies).toEqual(['{"event":"pong","reqid":42}']);
    expect(JSON.parse(p.clientFrame('not json', []).replies![0]!)).toEqual({ errorMessage: 'Malformed request', event: 'error' });
  });

  it('a snapshot cut mid-stream at the pair decimals: the v1 session goes live and all later XBT/USD checksums verify', async () => {
    const records = await loadRecording(dataPath(`kraken/${SPOT_FILE}`));
    const p = primed(krakenReplay(), records);
    const isXbt = (raw: string): boolean => raw.endsWith('"book-1000","XBT/USD"]');
    const cut = after(records, 2000, isXbt);
    const ref = referenceAfter(records, SPOT_FILE, cut, 'XBT/USD');
    const frames = p.snapshotFrames!({ symbol: 'XBT/USD', channel: 'book' }, ref);
    // The recorded channelID and the pair's fixed decimals (5 for prices, 8 for volumes).
    expect(frames[0]!.startsWith('[320,{"as":[["')).toBe(true);
    expect(/^\[320,\{"as":\[\["\d+\.\d{5}","\d+\.\d{8}","\d+\.\d{6}"\]/.test(frames[0]!)).toBe(true);
    const h = sessionHarness(krakenV1);
    const later = records.slice(cut).filter((r) => r.dir === 'recv' && isXbt(r.raw)).map((r) => r.raw);
    h.feed([frames[0]!, ...later]);
    const sb = h.books.get('XBT/USD')!;
    expect(sb.state).toBe('live');
    expect(sb.counters.checksumFailed).toBe(0);
    expect(sb.counters.checksumOk).toBe(later.length);
    expect(later.length).toBe(5789 - 2000);
  });
});

describe('krakenFuturesReplay', () => {
  it('is the registered replay of kraken-futures', () => {
    expect(replayProtocol('kraken-futures')?.venue).toBe('kraken-futures');
  });

  it('answers the recorded book, trade and ticker_lite requests exactly as Kraken Futures did (one answer per product)', async () => {
    const records = await loadRecording(dataPath(`kraken/${FUTURES_FILE}`));
    const p = krakenFuturesReplay();
    const answers = records.filter((r) => r.dir === 'send').flatMap((r) => p.clientFrame(r.raw, []).replies ?? []);
    const recorded = records.filter((r) => r.dir === 'recv' && r.raw.startsWith('{"event":"subscribed"')).map((r) => r.raw);
    expect(answers).toEqual(recorded);
    expect(answers).toHaveLength(30);
  });

  it('a book_snapshot cut mid-stream carries the reference seq: every later recorded delta chains onto it', async () => {
    const records = await loadRecording(dataPath(`kraken/${FUTURES_FILE}`));
    const isEth = (raw: string): boolean => raw.startsWith('{"feed":"book","product_id":"PI_ETHUSD"');
    const cut = after(records, 1000, isEth);
    const ref = referenceAfter(records, FUTURES_FILE, cut, 'PI_ETHUSD');
    const frames = krakenFuturesReplay().snapshotFrames!({ symbol: 'PI_ETHUSD', channel: 'book' }, ref);
    expect(frames[0]!.startsWith(`{"feed":"book_snapshot","product_id":"PI_ETHUSD","timestamp":${ref.lastExchTsMs},"seq":${ref.seq},`)).toBe(true);
    const h = sessionHarness(krakenFutures);
    const later = records.slice(cut).filter((r) => r.dir === 'recv' && isEth(r.raw)).map((r) => r.raw);
    h.feed([frames[0]!, ...later]);
    const sb = h.books.get('PI_ETHUSD')!;
    expect(sb.state).toBe('live');
    expect(sb.counters.gaps).toBe(0);
    expect(sb.counters.applied).toBe(1 + later.length);
    expect(later.length).toBe(3890 - 1000);
  });
});
