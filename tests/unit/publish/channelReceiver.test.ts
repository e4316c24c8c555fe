/**
 * The receiver logic on the design's golden packets (an independent encoder's bytes): it must
 * define the instrument, adopt the inline RESET after checking its CRC, apply the delta and
 * count the trade; and it must survive garbage, foreign channels, stale sessions and mutated
 * packets without throwing.
 */
import { describe, expect, it } from 'vitest';
import { ChannelReceiver } from '../../../src-main/engine/publish/channelReceiver.ts';
import { Xorshift32 } from '../../../src-main/engine/publish/impairment.ts';
import { goldenPackets } from '../wire/goldenFiles.ts';

describe('ChannelReceiver on the golden packets', () => {
  it('rebuilds the golden book: RESET snapshot, then the delta', () => {
    const r = new ChannelReceiver();
    const states: string[] = [];
    r.on((e) => {
      if (e.type === 'state') states.push(`${e.from}->${e.to}`);
    });
    for (const p of goldenPackets()) r.handle(p, 0);
    expect(states).toEqual(['unknown->syncing', 'syncing->live']);
    const book = r.books().get('binance:BTCUSDT')!;
    expect(book).toMatchObject({
      instrumentId: 1,
      state: 'live',
      bookSeq: 2,
      priceExponent: -2,
      sizeExponent: -6,
      bids: [[6499990, 250000], [6499980, 700000]],
      asks: [[6500010, 2000000], [6500020, 100000]],
    });
    const [v] = r.instruments();
    expect(v).toMatchObject({ resets: 1, checksumOk: 1, checksumMismatch: 0, trades: 1, tradeSeq: 1, gaps: 0, venueStatus: 'TRADING' });
    const ch = r.channel();
    expect(ch).toMatchObject({ channelId: 7, sessionId: 0x65a1b2c3, incrementalNextSeq: 7, channelGaps: 0, heartbeats: 1 });
  });

  it('detects the hole when the snapshot packet is lost, and never reports LIVE across it', () => {
    const r = new ChannelReceiver();
    const [p1, , p3, p4] = goldenPackets();
    for (const p of [p1!, p3!, p4!]) r.handle(p, 0);
    expect(r.channel()).toMatchObject({ channelGaps: 1, gapMessages: 1 });
    expect(r.instruments()[0]!.state).toBe('syncing');
    expect(r.instruments()[0]!.pending).toBe(1);
  });

  it('rejects a RESET whose checksum does not match its entries', () => {
    const r = new ChannelReceiver();
    const [p1, p2] = goldenPackets();
    const bad = p2!.slice();
    // Last byte of the first entry's size: the entries no longer match bookChecksum.
    bad[32 + 10 + 48 + 4 + 8] = bad[32 + 10 + 48 + 4 + 8]! ^ 1;
    r.handle(p1!, 0);
    r.handle(bad, 0);
    expect(r.instruments()[0]).toMatchObject({ state: 'syncing', checksumMismatch: 1 });
  });

  it('counts foreign channels, stale sessions and undecodable datagrams without throwing', () => {
    const r = new ChannelReceiver({ channelId: 8 });
    for (const p of goldenPackets()) r.handle(p, 0);
    expect(r.channel().foreignPackets).toBe(4);
    const s = new ChannelReceiver();
    const [p1, p2] = goldenPackets();
    const newer = p1!.slice();
    new DataView(newer.buffer).setUint32(8, 0x65a1b2c4, true);
    s.handle(newer, 0);
    s.handle(p2!, 0);
    expect(s.channel()).toMatchObject({ sessionId: 0x65a1b2c4, staleSessionPackets: 1 });
    s.handle(new Uint8Array([1, 2, 3]), 0);
    s.handle(new TextEncoder().encode('{"not":"obmc"} padding to thirty-two bytes'), 0);
    expect(s.channel().decodeErrors).toEqual({ 'truncated-header': 1, 'bad-magic': 1 });
  });

  it('survives thousands of mutated golden packets in sequence', () => {
    const rng = new Xorshift32(77);
    const golden = goldenPackets();
    const r = new ChannelReceiver();
    let errors = 0;
    for (let i = 0; i < 5000; i++) {
      const p = golden[rng.nextU32() % golden.length]!.slice();
      for (let k = 1 + (rng.nextU32() % 3); k > 0; k--) p[rng.nextU32() % p.length] = rng.nextU32() & 0xff;
      r.handle(p, i);
      errors = Object.values(r.channel().decodeErrors).reduce((a, b) => a + b, 0);
    }
    expect(r.channel().packets).toBe(5000);
    expect(errors).toBeGreaterThan(0);
    expect(r.channel().decodeErrors.internal ?? 0).toBe(0);
  });
});
