/**
 * The Wireshark dissector (resources/wireshark/obmc.lua) run in real tshark over the design's
 * golden capture: its fields must agree with the TypeScript decoder on every packet, and its
 * sequence-gap expert info must fire on a capture with a packet removed. tshark is a system
 * package (.ci/apt-packages.txt); when it is missing this test fails and says how to install it,
 * rather than passing without having run anything.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodePacket } from '../../../src-shared/wire/packetDecoder.ts';
import { TemplateId } from '../../../src-shared/wire/obmcMessage.ts';
import { goldenPackets, goldenPcapPath, repoRoot } from './goldenFiles.ts';

const LUA = path.join(repoRoot, 'resources', 'wireshark', 'obmc.lua');
const work = mkdtempSync(path.join(tmpdir(), 'obmc-tshark-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function tshark(args: string[]): string {
  const r = spawnSync('tshark', ['-X', `lua_script:${LUA}`, ...args], { encoding: 'utf8' });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error(
      'tshark is not installed, so the OBMC dissector cannot be tested: ' +
        'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y tshark (CI installs it from .ci/apt-packages.txt)',
    );
  }
  if (r.status !== 0) throw new Error(`tshark exited ${r.status}: ${r.stderr}`);
  if (/Lua Error/.test(r.stdout) || /Lua Error/.test(r.stderr)) throw new Error(`dissector error:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const FIELDS = [
  'obmc.channel_id', 'obmc.session_id', 'obmc.seq', 'obmc.msg_count', 'obmc.flags.heartbeat',
  'obmc.msg.seq', 'obmc.msg.template', 'obmc.book_seq', 'obmc.entry.price', 'obmc.entry.size',
  'obmc.symbol', 'obmc.book_checksum', 'obmc.trade.venue_trade_id',
];

function fieldRows(pcap: string): string[][] {
  const args = ['-r', pcap, '-T', 'fields', '-E', 'separator=|'];
  for (const f of FIELDS) args.push('-e', f);
  return tshark(args)
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.split('|'));
}

/** The same columns, computed by the TypeScript decoder from golden.hex. */
function expectedRows(): string[][] {
  return goldenPackets().map((bytes) => {
    const r = decodePacket(bytes);
    if (!r.ok) throw new Error(r.error.detail);
    const { header: h, messages } = r.packet;
    const all = messages.map((m) => m.message);
    const join = (xs: (number | bigint | string)[]) => xs.map(String).join(',');
    const bookSeqs: number[] = [];
    const prices: number[] = [];
    const sizes: number[] = [];
    const checksums: number[] = [];
    for (const m of all) {
      if (m.type === 'InstrumentStatus' || m.type === 'BookDelta' || m.type === 'BookSnapshot') bookSeqs.push(m.bookSeq);
      if (m.type === 'BookDelta' || m.type === 'BookSnapshot') {
        for (const e of m.entries) {
          prices.push(e.price);
          sizes.push(e.size);
        }
      }
      if (m.type === 'InstrumentStatus' || m.type === 'BookSnapshot') checksums.push(m.bookChecksum);
    }
    return [
      String(h.channelId),
      `0x${h.sessionId.toString(16).padStart(8, '0')}`,
      String(h.sequenceNumber),
      String(h.messageCount),
      h.flags & 1 ? 'True' : 'False',
      join(messages.map((m) => m.seq)),
      join(all.map((m) => TemplateId[templateKey(m.type)])),
      join(bookSeqs),
      join(prices),
      join(sizes),
      join(all.flatMap((m) => (m.type === 'InstrumentDefinition' ? [m.symbol] : []))),
      join(checksums),
      join(all.flatMap((m) => (m.type === 'Trade' ? [m.venueTradeId] : []))),
    ];
  });
}

function templateKey(type: string): keyof typeof TemplateId {
  return type.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase() as keyof typeof TemplateId;
}

/** Rewrite a classic pcap keeping only the records at `keep` (0-based). */
function filterPcap(src: string, keep: number[]): string {
  const b = readFileSync(src);
  const records: Buffer[] = [];
  let at = 24;
  while (at + 16 <= b.length) {
    const incl = b.readUInt32LE(at + 8);
    records.push(b.subarray(at, at + 16 + incl));
    at += 16 + incl;
  }
  const out = path.join(work, `filtered-${keep.join('-')}.pcap`);
  writeFileSync(out, Buffer.concat([b.subarray(0, 24), ...keep.map((i) => records[i]!)]));
  return out;
}

describe('Wireshark dissector in tshark', () => {
  it('decodes every golden packet field for field like the TypeScript decoder', () => {
    const rows = fieldRows(goldenPcapPath);
    // tshark prints booleans of bitfields as True/False, and 1/0 on some builds.
    const normalized = rows.map((r) => r.map((c, i) => (i === 4 ? (c === '1' || c === 'True' ? 'True' : 'False') : c)));
    expect(normalized).toEqual(expectedRows());
    // Anchors written out by hand so a shared mistake in both decoders cannot hide.
    expect(normalized[1]![11]).toBe('2866426700');
    expect(normalized[2]![6]).toBe('4,6');
    expect(normalized[3]![4]).toBe('True');
  });

  it('prints the tree with names for templates, enums and entries', () => {
    const text = tshark(['-r', goldenPcapPath, '-O', 'obmc']);
    for (const line of [
      'Template id: InstrumentDefinition (2)',
      'Status: TRADING (1)',
      'Event code: StartOfSession (1)',
      'Entry 1: Bid Set 6500000 @ 1500000',
      'Entry 1: Bid Delete 6500000 @ 0',
      'Quote asset: USDT',
      '[Message seq (implied): 6]',
    ]) {
      expect(text).toContain(line);
    }
    expect(text).not.toContain('Sequence gap');
  });

  it('flags a sequence gap when a packet is missing from the capture', () => {
    const gapped = filterPcap(goldenPcapPath, [0, 2, 3]);
    const text = tshark(['-r', gapped, '-V']);
    expect(text).toContain('Sequence gap: expected seq 4, got 5 (1 missing)');
    // -V prints an expert item as a header line plus its message: count the headers.
    expect(text.match(/\[Expert Info \(Warning\/Sequence\): Sequence gap/g)?.length).toBe(1);
  });
});
