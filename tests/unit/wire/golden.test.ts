/**
 * OBMC/1 golden vectors: the encoder must reproduce golden.hex byte for byte from the message
 * values the design's prototype used, and the decoder's canonical text must equal
 * golden.expected.txt, written by the design's independent Python decoder.
 */
import { describe, expect, it } from 'vitest';
import { encodePacket, type PacketHeaderInit } from '../../../src-shared/wire/packetWriter.ts';
import { decodePacket } from '../../../src-shared/wire/packetDecoder.ts';
import { packetText } from '../../../src-shared/wire/canonicalText.ts';
import {
  BOOK_DELTA_END_OF_EVENT,
  BOOK_SNAPSHOT_RESET,
  ChannelType,
  ORDER_COUNT_UNKNOWN,
  PacketFlags,
  type ObmcMessage,
} from '../../../src-shared/wire/obmcMessage.ts';
import { goldenExpectedLines, goldenPackets } from './goldenFiles.ts';

const T0 = 1_700_000_000_000_000_000n;
const SESSION = 0x65a1b2c3;
/** The prototype stamped sendingTime as a fixed base plus the packet's first seq. */
const SEND_BASE = 1_700_000_000_123_456_000n;

function header(seq: number, flags = 0): PacketHeaderInit {
  return {
    flags,
    channelId: 7,
    sessionId: SESSION,
    channelType: ChannelType.INCREMENTAL,
    sequenceNumber: seq,
    sendingTimeNs: SEND_BASE + BigInt(seq),
  };
}

const GOLDEN_INPUT: { header: PacketHeaderInit; messages: ObmcMessage[] }[] = [
  {
    header: header(1),
    messages: [
      { type: 'SystemEvent', timestampNs: T0, eventCode: 1, instrumentCount: 1, lastIncrementalSeq: 0, cycleId: 0 },
      {
        type: 'InstrumentDefinition',
        instrumentId: 1,
        definitionVersion: 1,
        priceExponent: -2,
        sizeExponent: -6,
        tickSize: 1,
        lotSize: 1,
        updateTimeNs: T0,
        maxDepth: 20,
        instrumentType: 1,
        exchange: 'binance',
        symbol: 'BTCUSDT',
        baseAsset: 'BTC',
        quoteAsset: 'USDT',
      },
      { type: 'InstrumentStatus', instrumentId: 1, status: 1, reason: 0, bookSeq: 0, tradeSeq: 0, timestampNs: T0, bookChecksum: 0 },
    ],
  },
  {
    header: header(4),
    messages: [
      {
        type: 'BookSnapshot',
        instrumentId: 1,
        priceExponent: -2,
        sizeExponent: -6,
        flags: BOOK_SNAPSHOT_RESET,
        status: 1,
        bookSeq: 1,
        lastIncrementalSeq: 3,
        exchangeTimeNs: T0 + 1_000_000n,
        chunkIndex: 0,
        chunkCount: 1,
        depth: 2,
        bookChecksum: 2866426700,
        entries: [
          { price: 6500000, size: 1500000, orderCount: ORDER_COUNT_UNKNOWN, side: 1, action: 1 },
          { price: 6499990, size: 250000, orderCount: ORDER_COUNT_UNKNOWN, side: 1, action: 1 },
          { price: 6500010, size: 2000000, orderCount: ORDER_COUNT_UNKNOWN, side: 2, action: 1 },
          { price: 6500020, size: 100000, orderCount: ORDER_COUNT_UNKNOWN, side: 2, action: 1 },
        ],
      },
    ],
  },
  {
    header: header(5),
    messages: [
      {
        type: 'BookDelta',
        instrumentId: 1,
        priceExponent: -2,
        sizeExponent: -6,
        flags: BOOK_DELTA_END_OF_EVENT,
        bookSeq: 2,
        exchangeTimeNs: T0 + 2_000_000n,
        entries: [
          { price: 6500000, size: 0, orderCount: ORDER_COUNT_UNKNOWN, side: 1, action: 2 },
          { price: 6499980, size: 700000, orderCount: ORDER_COUNT_UNKNOWN, side: 1, action: 1 },
        ],
      },
      {
        type: 'Trade',
        instrumentId: 1,
        priceExponent: -2,
        sizeExponent: -6,
        aggressorSide: 2,
        flags: 0,
        tradeSeq: 1,
        price: 6500000,
        size: 1500000,
        exchangeTimeNs: T0 + 2_000_000n,
        venueTradeId: 123456789n,
      },
    ],
  },
  { header: header(7, PacketFlags.HEARTBEAT), messages: [] },
];

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

describe('OBMC/1 golden vectors', () => {
  const packets = goldenPackets();

  it('has the four packets the design describes', () => {
    expect(packets.map((p) => p.length)).toEqual([250, 190, 176, 32]);
  });

  for (let i = 0; i < GOLDEN_INPUT.length; i++) {
    it(`encodes packet ${i + 1} byte for byte`, () => {
      const input = GOLDEN_INPUT[i]!;
      const r = encodePacket(input.header, input.messages);
      if (!r.ok) throw new Error(r.detail);
      expect(hex(r.bytes)).toBe(hex(packets[i]!));
    });
  }

  it('decodes to the canonical text of golden.expected.txt', () => {
    const lines = packets.flatMap((p) => packetText(decodePacket(p)));
    expect(lines).toEqual(goldenExpectedLines());
  });

  it('decodes back to the exact message values that encoded it', () => {
    for (let i = 0; i < packets.length; i++) {
      const r = decodePacket(packets[i]!);
      if (!r.ok) throw new Error(r.error.detail);
      const input = GOLDEN_INPUT[i]!;
      expect(r.packet.header).toMatchObject({ ...input.header, version: 1, messageCount: input.messages.length });
      expect(r.packet.messages.map((m) => m.message)).toEqual(input.messages);
      expect(r.packet.messages.map((m) => m.seq)).toEqual(input.messages.map((_, k) => input.header.sequenceNumber + k));
      expect(r.packet.skipped).toEqual([]);
    }
  });
});
