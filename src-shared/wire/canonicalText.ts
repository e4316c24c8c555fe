/**
 * Canonical text of decoded OBMC packets: the format of golden.expected.txt, written by the
 * design's independent Python decoder. Keeping the TS decoder's output in the same format lets
 * the two be diffed line by line (design 4.3 and 4.5, "cross-language run"); `depthdesk listen`
 * and tests print it too. Field lists follow the wire order of each root block (reserved and
 * padding fields omitted); entries print as side (B/A), action (= set, x delete) and the
 * decimal price@size at the message's exponents.
 */
import { formatFixed } from '../model/decimal.ts';
import { entriesChecksum } from './bookChecksum.ts';
import type { DecodeResult } from './packetDecoder.ts';
import type { BookEntry, ObmcMessage } from './obmcMessage.ts';

/** mantissa x 10^exponent as an exact decimal string. */
export function formatDecimal(mantissa: number, exponent: number): string {
  if (exponent <= 0) return formatFixed(mantissa, -exponent);
  return mantissa === 0 ? '0' : `${mantissa}${'0'.repeat(exponent)}`;
}

function pyString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function entryText(e: BookEntry, priceExponent: number, sizeExponent: number): string {
  const side = e.side === 1 ? 'B' : e.side === 2 ? 'A' : '?';
  const action = e.action === 1 ? '=' : e.action === 2 ? 'x' : '?';
  return `${side}${action}${formatDecimal(e.price, priceExponent)}@${formatDecimal(e.size, sizeExponent)}`;
}

function list(values: readonly (number | bigint | string)[]): string {
  return `[${values.map((x) => (typeof x === 'string' ? pyString(x) : String(x))).join(', ')}]`;
}

/** One message as `Name [fields] entries...` (without the `#seq` prefix). */
export function messageText(m: ObmcMessage): string {
  switch (m.type) {
    case 'SystemEvent':
      return `SystemEvent ${list([m.timestampNs, m.eventCode, m.instrumentCount, m.lastIncrementalSeq, m.cycleId])}`;
    case 'InstrumentDefinition':
      return `InstrumentDefinition ${list([
        m.instrumentId, m.definitionVersion, m.priceExponent, m.sizeExponent, m.tickSize, m.lotSize,
        m.updateTimeNs, m.maxDepth, m.instrumentType, m.exchange, m.symbol, m.baseAsset, m.quoteAsset,
      ])}`;
    case 'InstrumentStatus':
      return `InstrumentStatus ${list([m.instrumentId, m.status, m.reason, m.bookSeq, m.tradeSeq, m.timestampNs, m.bookChecksum])}`;
    case 'BookDelta': {
      const head = list([m.instrumentId, m.priceExponent, m.sizeExponent, m.flags, m.bookSeq, m.exchangeTimeNs]);
      const entries = m.entries.map((e) => ` ${entryText(e, m.priceExponent, m.sizeExponent)}`).join('');
      return `BookDelta ${head}${entries}`;
    }
    case 'BookSnapshot': {
      const head = list([
        m.instrumentId, m.priceExponent, m.sizeExponent, m.flags, m.status, m.bookSeq, m.lastIncrementalSeq,
        m.exchangeTimeNs, m.chunkIndex, m.chunkCount, m.depth, m.bookChecksum,
      ]);
      const entries = m.entries.map((e) => ` ${entryText(e, m.priceExponent, m.sizeExponent)}`).join('');
      // The checksum covers the whole snapshot: it can be verified from one chunk only when
      // the snapshot has a single chunk.
      const crc = m.chunkCount === 1 ? ` crc_ok=${entriesChecksum(m.bookSeq, m.entries) === m.bookChecksum ? 'True' : 'False'}` : '';
      return `BookSnapshot ${head}${entries}${crc}`;
    }
    case 'Trade':
      return `Trade ${list([
        m.instrumentId, m.priceExponent, m.sizeExponent, m.aggressorSide, m.tradeSeq, m.price, m.size,
        m.exchangeTimeNs, m.venueTradeId,
      ])}`;
  }
}

/** Lines for one decoded datagram: a `pkt ...` line, then one `  #seq ...` line per message. */
export function packetText(result: DecodeResult): string[] {
  if (!result.ok) {
    const e = result.error;
    return [`error code=${e.code} offset=${e.offset} ${e.detail}`];
  }
  const { header: h, messages, skipped } = result.packet;
  const flags = `0x${h.flags.toString(16).padStart(2, '0')}`;
  const sess = `0x${h.sessionId.toString(16).padStart(8, '0')}`;
  const lines = [`pkt chan=${h.channelId} sess=${sess} seq=${h.sequenceNumber} count=${h.messageCount} flags=${flags} len=${h.packetLength}`];
  const rows: { seq: number; text: string }[] = [
    ...messages.map((d) => ({ seq: d.seq, text: messageText(d.message) })),
    ...skipped.map((s) => ({ seq: s.seq, text: `skipped template=${s.templateId} schema=${s.schemaId} len=${s.length}` })),
  ];
  rows.sort((a, b) => a.seq - b.seq);
  for (const r of rows) lines.push(`  #${r.seq} ${r.text}`);
  return lines;
}
