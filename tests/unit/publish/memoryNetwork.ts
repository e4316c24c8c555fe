/**
 * A deterministic stand-in for the multicast network: the publisher sends into it, and it hands
 * each datagram synchronously to the receivers that have joined the destination group, through
 * each receiver's own impairment shim. With a manual clock this makes publisher + receiver runs
 * exactly reproducible (the loopback tests in tests/integration/publish use real sockets).
 */
import type { DatagramSink, PublisherClock } from '../../../src-main/engine/publish/multicastPublisher.ts';
import { ChannelReceiver, type ChannelReceiverOptions } from '../../../src-main/engine/publish/channelReceiver.ts';
import type { Impairment } from '../../../src-main/engine/publish/impairment.ts';
import { decodePacket } from '../../../src-shared/wire/packetDecoder.ts';

export class ManualClock implements PublisherClock {
  ms = 0;
  private readonly epochNs = 1_634_000_000_000_000_000n;
  nowMs(): number {
    return this.ms;
  }
  nowNs(): bigint {
    return this.epochNs + BigInt(Math.round(this.ms * 1000)) * 1000n;
  }
}

export interface Member {
  receiver: ChannelReceiver;
  impairment?: Impairment;
}

export class MemoryNetwork implements DatagramSink {
  readonly clock: ManualClock;
  readonly members: Member[] = [];
  /** Every datagram sent, for size and decode checks. */
  readonly sent: { port: number; group: string; bytes: Uint8Array }[] = [];
  private readonly incPort: number;
  private readonly snapPort: number;

  constructor(clock: ManualClock, incPort: number, snapPort: number) {
    this.clock = clock;
    this.incPort = incPort;
    this.snapPort = snapPort;
  }

  join(options: ChannelReceiverOptions = {}, impairment?: Impairment): ChannelReceiver {
    const receiver = new ChannelReceiver(options);
    this.members.push(impairment ? { receiver, impairment } : { receiver });
    return receiver;
  }

  send(msg: Buffer, port: number, group: string, callback: (err: Error | null) => void): void {
    this.sent.push({ port, group, bytes: new Uint8Array(msg) });
    const source = port === this.incPort ? 'incremental' : port === this.snapPort ? 'snapshot' : undefined;
    if (source) {
      for (const m of this.members) {
        // A receiver that left the snapshot group gets nothing from it.
        if (source === 'snapshot' && !m.receiver.wantsSnapshot()) continue;
        if (m.impairment && !m.impairment.admit(source)) continue;
        m.receiver.handle(msg, this.clock.ms);
      }
    }
    callback(null);
  }

  close(callback: () => void): void {
    callback();
  }

  on(): this {
    return this;
  }

  /** Decode every sent datagram; returns the ones that failed (there must be none). */
  undecodable(): string[] {
    const bad: string[] = [];
    for (const p of this.sent) {
      const r = decodePacket(p.bytes);
      if (!r.ok) bad.push(`${r.error.code}: ${r.error.detail}`);
    }
    return bad;
  }
}
