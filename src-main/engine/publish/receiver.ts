/**
 * OBMC/1 multicast receiver: joins a channel's incremental group and its snapshot loop, and
 * rebuilds every book with ChannelReceiver. Sockets follow design 3.1: bind 0.0.0.0:port with
 * reuseAddr (several desk processes can share the port), one port per group, addMembership with
 * the interface always named, a large receive buffer read back after bind (Linux silently clamps
 * it to 2 x net.core.rmem_max). The snapshot group is left once every instrument is LIVE and
 * joined again when one is not (design 2.11).
 *
 * An optional Impairment sits between the sockets and the receiver logic (tests).
 */
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import {
  ChannelReceiver,
  type ChannelReceiverOptions,
  type ChannelView,
  type ReceivedBook,
  type ReceiverEvent,
  type ReceiverInstrumentView,
} from './channelReceiver.ts';
import { ipv4ToInt, isUsableMulticast, snapshotEndpointFor, type Endpoint } from './channelAddressing.ts';
import type { Impairment } from './impairment.ts';

export interface ReceiverConfig extends ChannelReceiverOptions {
  /** The channel's incremental group and port. */
  group: string;
  port: number;
  /** IPv4 address of the interface to join on (default 127.0.0.1). */
  interface?: string;
  /** Snapshot loop endpoint; default derived: (group + 1, port + 1), see channelAddressing.ts. */
  snapshotGroup?: string;
  snapshotPort?: number;
  recvBufferSize?: number;
  impairment?: Impairment;
  /** Period of the silence check. */
  tickMs?: number;
}

export type ReceiverOpenResult =
  | { ok: true; receiver: MulticastReceiver }
  | { ok: false; error: { code: 'invalid-config' | 'socket'; detail: string } };

async function bindSocket(port: number, recvBufferSize: number): Promise<dgram.Socket> {
  const socket = dgram.createSocket({ type: 'udp4', reuseAddr: true, recvBufferSize });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ port, address: '0.0.0.0' }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  return socket;
}

export async function openReceiver(config: ReceiverConfig): Promise<ReceiverOpenResult> {
  const inc: Endpoint = { group: config.group, port: config.port };
  const derived = snapshotEndpointFor(inc);
  const snap: Endpoint = { group: config.snapshotGroup ?? derived.group, port: config.snapshotPort ?? derived.port };
  const iface = config.interface ?? '127.0.0.1';
  const problems: string[] = [];
  for (const [role, ep] of [['incremental', inc], ['snapshot', snap]] as const) {
    if (!isUsableMulticast(ep.group)) problems.push(`${role} group ${ep.group} is not a usable IPv4 multicast address`);
    if (!Number.isInteger(ep.port) || ep.port < 1 || ep.port > 65535) problems.push(`${role} port ${ep.port} is out of range`);
  }
  if (inc.port === snap.port) problems.push('incremental and snapshot groups need different ports (design 3.2)');
  if (Number.isNaN(ipv4ToInt(iface))) problems.push(`interface ${iface} is not an IPv4 address`);
  if (problems.length > 0) return { ok: false, error: { code: 'invalid-config', detail: problems.join('; ') } };

  const bufferSize = config.recvBufferSize ?? 16 << 20;
  const sockets: dgram.Socket[] = [];
  try {
    const incSocket = await bindSocket(inc.port, bufferSize);
    sockets.push(incSocket);
    incSocket.addMembership(inc.group, iface);
    const snapSocket = await bindSocket(snap.port, bufferSize);
    sockets.push(snapSocket);
    return { ok: true, receiver: new MulticastReceiver(config, inc, snap, iface, incSocket, snapSocket) };
  } catch (err) {
    for (const s of sockets) s.close();
    return { ok: false, error: { code: 'socket', detail: `cannot join ${inc.group}:${inc.port} / ${snap.group}:${snap.port} on ${iface}: ${String(err)}` } };
  }
}

export class MulticastReceiver {
  readonly core: ChannelReceiver;
  readonly incremental: Endpoint;
  readonly snapshot: Endpoint;
  readonly interfaceAddress: string;
  private readonly incSocket: dgram.Socket;
  private readonly snapSocket: dgram.Socket;
  private readonly impairment: Impairment | undefined;
  private readonly timer: ReturnType<typeof setInterval>;
  private snapJoined = false;
  private closed: Promise<void> | undefined;
  private internalErrors = 0;
  private lastInternalError = '';
  private socketErrors = 0;

  /** Use openReceiver(): it validates the endpoints and binds the sockets first. */
  constructor(config: ReceiverConfig, inc: Endpoint, snap: Endpoint, iface: string, incSocket: dgram.Socket, snapSocket: dgram.Socket) {
    this.core = new ChannelReceiver(config);
    this.incremental = inc;
    this.snapshot = snap;
    this.interfaceAddress = iface;
    this.incSocket = incSocket;
    this.snapSocket = snapSocket;
    this.impairment = config.impairment;
    incSocket.on('message', (msg) => this.deliver(msg, 'incremental'));
    snapSocket.on('message', (msg) => this.deliver(msg, 'snapshot'));
    for (const s of [incSocket, snapSocket]) s.on('error', () => this.socketErrors++);
    this.core.onSnapshotMembership = (join) => this.setSnapshotMembership(join);
    this.setSnapshotMembership(this.core.wantsSnapshot());
    this.timer = setInterval(() => this.core.tick(performance.now()), config.tickMs ?? 100);
  }

  private deliver(msg: Buffer, source: 'incremental' | 'snapshot'): void {
    if (this.impairment && !this.impairment.admit(source)) return;
    try {
      this.core.handle(msg, performance.now());
    } catch (err) {
      // The receiver logic does not throw on input; if a bug makes it, keep the socket alive
      // and make the failure visible instead of killing the process.
      this.internalErrors++;
      this.lastInternalError = String(err);
    }
  }

  /** Joins and leaves are idempotent: Winsock rejects a duplicate join (design 3.3). */
  private setSnapshotMembership(join: boolean): void {
    if (join === this.snapJoined || this.closed) return;
    try {
      if (join) this.snapSocket.addMembership(this.snapshot.group, this.interfaceAddress);
      else this.snapSocket.dropMembership(this.snapshot.group, this.interfaceAddress);
      this.snapJoined = join;
    } catch (err) {
      this.socketErrors++;
      this.lastInternalError = String(err);
    }
  }

  snapshotJoined(): boolean {
    return this.snapJoined;
  }

  /** Receive buffer sizes the OS actually granted (warn when far below the request). */
  recvBufferSizes(): { incremental: number; snapshot: number } {
    return { incremental: this.incSocket.getRecvBufferSize(), snapshot: this.snapSocket.getRecvBufferSize() };
  }

  instruments(): ReceiverInstrumentView[] {
    return this.core.instruments();
  }

  books(): Map<string, ReceivedBook> {
    return this.core.books();
  }

  channel(): ChannelView & { snapshotJoined: boolean; internalErrors: number; lastInternalError: string; socketErrors: number } {
    return {
      ...this.core.channel(),
      snapshotJoined: this.snapJoined,
      internalErrors: this.internalErrors,
      lastInternalError: this.lastInternalError,
      socketErrors: this.socketErrors,
    };
  }

  on(listener: (e: ReceiverEvent) => void): () => void {
    return this.core.on(listener);
  }

  close(): Promise<void> {
    if (this.closed) return this.closed;
    clearInterval(this.timer);
    this.closed = Promise.all(
      [this.incSocket, this.snapSocket].map((s) => new Promise<void>((r) => s.close(() => r()))),
    ).then(() => undefined);
    return this.closed;
  }
}
