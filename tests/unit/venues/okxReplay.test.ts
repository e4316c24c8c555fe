/**
 * The OKX replay protocol against the real recordings: its answers are the recorded answers, byte
 * for byte; recorded frames map to their topics; and a snapshot cut from the reference book in the
 * middle of the stream is one the OKX session accepts, whose checksum verifies, and on which every
 * later recorded update applies with its own checksum verifying.
 */
import { describe, expect, it } from 'vitest';
import { loadRecording } from '../../../src-main/engine/replay/recording.ts';
import type { RecordLine } from '../../../src-main/engine/replay/recording.ts';
import { VerifyRun } from '../../../src-main/engine/verify/verify.ts';
import type { SymbolBook } from '../../../src-main/engine/sync/symbolBook.ts';
import { okxBookChecksum } from '../../../src-main/engine/venues/okx/okxChecksum.ts';
import { okxReplay } from '../../../src-main/engine/venues/okx/okxReplay.ts';
import { okx } from '../../../src-main/engine/venues/okx/okxSpec.ts';
import { replayProtocol } from '../../../src-main/engine/replay/replayProtocols.ts';
import { dataPath } from '../../support/data.ts';
import { sessionHarness } from '../../support/sessionHarness.ts';

const BOOKS = 'okx/cryptofeed_books_2022-05-13.ndjson';
const TBT = 'okx/cryptofeed_books-l2-tbt_2022-02-27.ndjson';

/** The reference book of `symbol` after the first `n` records, as the replay server holds it. */
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

describe('okxReplay', () => {
  it('is the registered replay of okx', () => {
    expect(replayProtocol('okx')?.venue).toBe('okx');
  });

  it('answers the recorded subscribe requests exactly as OKX did (one event per argument, in order)', async () => {
    const records = await loadRecording(dataPath(BOOKS));
    const p = okxReplay();
    const sent = records.filter((r) => r.dir === 'send').map((r) => r.raw);
    const answers = sent.flatMap((raw) => p.clientFrame(raw, []).replies ?? []);
    const recorded = records.filter((r) => r.dir === 'recv' && r.raw.startsWith('{"event":')).map((r) => r.raw);
    expect(answers).toEqual(recorded);
    expect(answers).toHaveLength(18);
    // The last request subscribed books, trades and tickers of the three instruments.
    expect(p.clientFrame(sent[2]!, []).subscribe!.filter((t) => p.isBookChannel(t.channel)).map((t) => t.symbol)).toEqual(['BTC-USD-220527', 'UNI-USD-SWAP', 'BTC-USDT']);
  });

  it('answers "ping" with "pong", malformed requests with an error, and serves / and /ws/v5/public only', () => {
    const p = okxReplay();
    expect(p.clientFrame('ping', []).replies).toEqual(['pong']);
    expect(JSON.parse(p.clientFrame('{"op":"login"}', []).replies![0]!)).toMatchObject({ event: 'error', code: '60012' });
    expect(p.connect(new URL('ws://127.0.0.1:1/'))).toEqual({ topics: [] });
    expect(p.connect(new URL('ws://127.0.0.1:1/ws/v5/public'))).toEqual({ topics: [] });
    expect('refuse' in p.connect(new URL('ws://127.0.0.1:1/ws/v5/private'))).toBe(true);
  });

  it('maps recorded frames to topics: both 400-level book channels are "books"; answers and pongs are not replayed', async () => {
    const p = okxReplay();
    const tbt = await loadRecording(dataPath(TBT));
    const topics = tbt.filter((r) => r.dir === 'recv').map((r) => p.topicOf(r.raw));
    const books = topics.filter((t) => t !== undefined && p.isBookChannel(t.channel));
    // 20 snapshots + 3,659 updates (see okxVerify.test.ts).
    expect(books).toHaveLength(3679);
    expect(new Set(books.map((t) => t!.symbol)).size).toBe(10);
    expect(p.topicOf('{"event":"subscribe","arg":{"channel":"books","instId":"BTC-USDT"}}')).toBeUndefined();
    expect(p.topicOf('pong')).toBeUndefined();
  });

  it('a snapshot cut mid-stream verifies in the OKX session, and every later recorded update of that book verifies on top of it', async () => {
    const records = await loadRecording(dataPath(TBT));
    const symbol = 'ELON-USDT';
    const isElon = (r: RecordLine): boolean => r.dir === 'recv' && r.raw.startsWith(`{"arg":{"channel":"books-l2-tbt","instId":"${symbol}"}`);
    // Cut after the 500th ELON-USDT book frame.
    let seen = 0;
    const cut = records.findIndex((r) => isElon(r) && ++seen === 500) + 1;
    const ref = referenceAfter(records, 'cryptofeed_books-l2-tbt_2022-02-27.ndjson', cut, symbol);
    const frames = okxReplay().snapshotFrames!({ symbol, channel: 'books' }, ref);
    expect(frames).toHaveLength(1);
    const snap = JSON.parse(frames[0]!) as { action: string; data: { checksum: number; asks: string[][]; seqId?: number }[] };
    expect(snap.action).toBe('snapshot');
    expect(snap.data[0]!.checksum).toBe(okxBookChecksum(ref.book));
    expect(snap.data[0]!.checksum).not.toBe(0);
    // The 2022 recording has no seqId, and neither does the cut snapshot.
    expect(snap.data[0]!.seqId).toBeUndefined();
    const h = sessionHarness(okx);
    const later = records.slice(cut).filter(isElon).map((r) => r.raw);
    h.feed([frames[0]!, ...later]);
    const sb = h.books.get(symbol)!;
    expect(sb.state).toBe('live');
    expect(sb.counters.checksumFailed).toBe(0);
    expect(sb.counters.checksumOk).toBe(1 + later.length);
    expect(later.length).toBe(1602 - 500);
  });
});
