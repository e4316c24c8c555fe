import { describe, expect, it } from 'vitest';
import { loadRecording } from '../../../src-main/engine/replay/recording.ts';
import { DeribitSession } from '../../../src-main/engine/venues/deribit/deribitSession.ts';
import { deribit, deribitExpiry, deribitInstrument } from '../../../src-main/engine/venues/deribit/deribitSpec.ts';
import { VENUES, venueForUrl } from '../../../src-main/engine/venues/registry.ts';
import { dataPath } from '../../support/data.ts';
import { dropAt, nthIndex } from '../../support/runRecords.ts';
import { sessionHarness } from '../../support/sessionHarness.ts';

const REL = 'deribit/cryptofeed_book_raw_options_2021-04-05_120s.ndjson';

async function recvFrames(): Promise<string[]> {
  return (await loadRecording(dataPath(REL))).filter((r) => r.dir === 'recv').map((r) => r.raw);
}

describe('deribitInstrument', () => {
  it('names perpetuals, futures and options as the normalization table says', () => {
    expect(deribitInstrument('BTC-PERPETUAL')).toMatchObject({ symbol: 'BTC-USD-PERP-INV', kind: 'perpetual', base: 'BTC', quote: 'USD', inverse: true });
    expect(deribitInstrument('BTC-30APR21')).toMatchObject({ symbol: 'BTC-USD-210430-INV', kind: 'future', inverse: true });
    expect(deribitInstrument('BTC-30APR21-54000-C')).toMatchObject({ symbol: 'BTC-210430-54000-C', kind: 'option', base: 'BTC' });
    expect(deribitInstrument('ETH-9APR21-1950-C').symbol).toBe('ETH-210409-1950-C');
    expect(deribitInstrument('ETH-16APR21-1400-P').symbol).toBe('ETH-210416-1400-P');
  });

  it('names the linear (USDC) family and spot, with "d" strike decimals', () => {
    expect(deribitInstrument('BTC_USDC-PERPETUAL')).toMatchObject({ symbol: 'BTC-USDC-PERP', kind: 'perpetual', quote: 'USDC', inverse: false });
    expect(deribitInstrument('XRP_USDC-30AUG24-0d625-C')).toMatchObject({ symbol: 'XRP-USDC-240830-0.625-C', kind: 'option', inverse: false });
    expect(deribitInstrument('BTC_USDC')).toMatchObject({ symbol: 'BTC-USDC', kind: 'spot' });
  });

  it('keeps the venue name of combinations it cannot express', () => {
    expect(deribitInstrument('BTC-FS-26APR24_PERP').symbol).toBe('BTC-FS-26APR24_PERP');
    expect(deribitExpiry('5APR21')).toBe('210405');
    expect(deribitExpiry('31DEC21')).toBe('211231');
    expect(deribitExpiry('PERPETUAL')).toBeUndefined();
  });
});

describe('Deribit spec and session frames', () => {
  it('is registered and claims the JSON-RPC WebSocket hosts', () => {
    expect(VENUES.get('deribit')).toBe(deribit);
    expect(venueForUrl('wss://www.deribit.com/ws/api/v2')).toBe(deribit);
    expect(deribit.recognizes!('wss://streams.deribit.com/ws/api/v2')).toBe(true);
    expect(deribit.recognizes!('wss://www.bitmex.com/realtime')).toBe(false);
  });

  it('asks for heartbeats and subscribes book and trades at 100ms (raw needs an authorised connection)', () => {
    const h = sessionHarness(deribit, ['BTC-PERPETUAL', 'ETH-30APR21']);
    h.session.onOpen();
    expect(h.sent.map((f) => JSON.parse(f))).toEqual([
      { jsonrpc: '2.0', id: 1, method: 'public/set_heartbeat', params: { interval: 10 } },
      { jsonrpc: '2.0', id: 2, method: 'public/subscribe', params: { channels: ['book.BTC-PERPETUAL.100ms', 'trades.BTC-PERPETUAL.100ms', 'book.ETH-30APR21.100ms', 'trades.ETH-30APR21.100ms'] } },
    ]);
  });

  it('answers a test_request with public/test at once (else Deribit closes the connection)', () => {
    const h = sessionHarness(deribit);
    // The heartbeat notification layout of public/set_heartbeat's documentation.
    h.feed(['{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"heartbeat"}}', '{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"test_request"}}']);
    expect(h.sent.map((f) => JSON.parse(f).method)).toEqual(['public/test']);
  });

  it('after a lost change, unsubscribes and subscribes exactly the channel that instrument came on', async () => {
    const records = await loadRecording(dataPath(REL));
    const at = nthIndex(records, 4, (raw) => raw.includes('"type":"change"') && raw.includes('"instrument_name":"ETH-16APR21-1600-C"'));
    const h = sessionHarness(deribit);
    h.feed(dropAt(records, at).filter((r) => r.dir === 'recv').map((r) => r.raw));
    const sent = h.sent.map((f) => JSON.parse(f) as { method: string; params: { channels: string[] } });
    expect(sent.map((f) => [f.method, f.params.channels])).toEqual([
      ['public/unsubscribe', ['book.ETH-16APR21-1600-C.raw']],
      ['public/subscribe', ['book.ETH-16APR21-1600-C.raw']],
    ]);
    expect(h.books.get('ETH-16APR21-1600-C')!.state).toBe('resyncing');
    for (const [sym, sb] of h.books) if (sym !== 'ETH-16APR21-1600-C') expect(sb.state, sym).toBe('live');
  });

  it('a channel missing from the subscribe result is a subscribe-error on that instrument', async () => {
    const frames = await recvFrames();
    const granted = JSON.parse(frames[0]!) as { result: string[] };
    const instruments = granted.result.filter((c) => c.startsWith('book.')).map((c) => c.slice(5, -4));
    // One more instrument than the venue granted: ETH-9APR21-1950-P (the put beside a recorded call).
    const spec = { ...deribit, createSession: (ctx: Parameters<typeof deribit.createSession>[0], plan: Parameters<typeof deribit.createSession>[1]) => new DeribitSession(ctx, plan, 'raw') };
    const h = sessionHarness(spec, [...instruments, 'ETH-9APR21-1950-P']);
    h.session.onOpen();
    // The recorded result answered request 0; here it answers this session's subscribe (id 2).
    h.feed([frames[0]!.replace('"id":0', '"id":2')]);
    expect(h.notices.filter((n) => n.level === 'error').map((n) => n.message)).toEqual(['subscription book.ETH-9APR21-1950-P.raw not granted', 'subscription trades.ETH-9APR21-1950-P.raw not granted']);
    expect(h.books.get('ETH-9APR21-1950-P')!.anomalies.map((a) => a.kind)).toEqual(['subscribe-error']);
    expect([...h.books.keys()]).toEqual(['ETH-9APR21-1950-P']);
    // Not resubscribed in a loop: only the opening frames were sent.
    expect(h.sent.map((f) => JSON.parse(f).method)).toEqual(['public/set_heartbeat', 'public/subscribe']);
  });
});
