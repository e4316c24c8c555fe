/**
 * `depthdesk listen`: the desk's UDP monitor. Joins one OBMC channel (its incremental group and
 * the derived snapshot loop), rebuilds every book with the receiver library and prints a live
 * table of instruments: sync state, venue status, bookSeq, tradeSeq, gaps, recoveries and
 * checksum checks, with the channel's sequence position above it. `--json` prints JSON lines
 * instead: one `{"type":"status",...}` line per interval and one `{"type":"event",...}` line per
 * gap, state change, session change or end of session, for scripts and log shippers.
 *
 * Runs until SIGINT/SIGTERM (or --duration); exits 0 after a clean stop, 1 when the sockets
 * cannot be opened, 2 on bad usage.
 */
import { networkInterfaces } from 'node:os';
import { openReceiver, type MulticastReceiver } from '../engine/publish/receiver.ts';
import { resolveInterface } from '../engine/publish/interfaceAddress.ts';
import type { ReceiverEvent, ReceiverInstrumentView } from '../engine/publish/channelReceiver.ts';
import { flagNumber, flagString, parseArgs, UsageError } from './args.ts';

export const LISTEN_USAGE = `usage: depthdesk listen --group G --port P [--interface IF] [--json] [options]
  Join an OBMC/1 multicast channel and show every instrument's book state live.
  --group G            incremental multicast group of the channel (e.g. 239.192.0.1)
  --port P             its UDP port
  --interface IF       interface to join on: its IPv4 address, its name ("Ethernet 2", "eth0")
                       or the desk's subnet (10.1.0.0/16); default 127.0.0.1 (docs/MULTICAST_DESK.md)
  --snapshot-group G   snapshot loop group (default: group + 1)
  --snapshot-port P    snapshot loop port (default: port + 1)
  --channel N          accept only this channelId (default: the first one seen)
  --json               JSON lines: a status line per interval, an event line per gap/state change
  --interval MS        refresh period (default 1000)
  --duration S         stop after S seconds (default: until Ctrl-C)`;

export interface ListenIo {
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown };
  /** Stops the command like SIGINT (tests, embedding). */
  signal?: AbortSignal;
}

const SPEC = {
  group: { value: true },
  port: { value: true },
  interface: { value: true },
  'snapshot-group': { value: true },
  'snapshot-port': { value: true },
  channel: { value: true },
  json: { value: false },
  interval: { value: true },
  duration: { value: true },
  help: { value: false },
} as const;

function pad(s: string | number, n: number): string {
  return String(s).padEnd(n);
}

function table(rx: MulticastReceiver, recent: string[]): string {
  const c = rx.channel();
  const lines: string[] = [];
  lines.push(
    `OBMC channel ${c.channelId ?? '?'}  session ${c.sessionId ?? '?'}  ` +
      `on ${rx.interfaceAddress}  inc ${rx.incremental.group}:${rx.incremental.port} next seq ${c.incrementalNextSeq ?? '-'}  ` +
      `snap ${rx.snapshot.group}:${rx.snapshot.port} ${c.snapshotJoined ? 'joined' : 'left'}` +
      `${c.silent ? '  SILENT' : ''}${c.ended ? '  END OF SESSION' : ''}`,
  );
  const errors = Object.entries(c.decodeErrors).map(([k, v]) => `${k}=${v}`).join(' ');
  lines.push(
    `packets ${c.packets}  heartbeats ${c.heartbeats}  channel gaps ${c.channelGaps} (${c.gapMessages} msgs)  ` +
      `snapshot gaps ${c.snapshotGaps}  loop cycles ${c.snapshotCycles}${errors ? `  decode errors ${errors}` : ''}`,
  );
  lines.push('');
  const head = ['ID', 'EXCHANGE', 'SYMBOL', 'STATE', 'VENUE', 'BOOKSEQ', 'TRADESEQ', 'LEVELS', 'GAPS', 'RECOV', 'CRC OK/BAD'];
  const widths = [5, 16, 18, 9, 19, 10, 9, 8, 6, 6, 10];
  lines.push(head.map((h, i) => pad(h, widths[i]!)).join(' '));
  for (const v of rx.instruments()) lines.push(row(v).map((x, i) => pad(x, widths[i]!)).join(' '));
  if (recent.length > 0) {
    lines.push('');
    for (const e of recent) lines.push(`  ${e}`);
  }
  return lines.join('\n');
}

function row(v: ReceiverInstrumentView): string[] {
  return [
    String(v.instrumentId),
    v.exchange || '?',
    v.symbol || '?',
    v.state.toUpperCase(),
    v.venueStatus,
    String(v.bookSeq),
    String(v.tradeSeq),
    `${v.bidLevels}/${v.askLevels}`,
    String(v.gaps),
    String(v.recoveries),
    `${v.checksumOk}/${v.checksumMismatch}`,
  ];
}

function eventText(e: ReceiverEvent): string {
  switch (e.type) {
    case 'state':
      return `${e.exchange}:${e.symbol} ${e.from} -> ${e.to}: ${e.reason}`;
    case 'gap':
      return `${e.source} gap: seq ${e.fromSeq}..${e.toSeq} missing`;
    case 'session':
      return `new session ${e.sessionId}: all books resync`;
    case 'snapshot-membership':
      return e.join ? 'joined the snapshot loop' : 'left the snapshot loop (everything LIVE)';
    case 'silence':
      return e.silent ? 'channel silent' : 'channel alive again';
    case 'end-of-session':
      return 'end of session';
  }
}

export async function listenCommand(argv: string[], io: ListenIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let group: string;
  let port: number;
  let json: boolean;
  let intervalMs: number;
  let durationS: number | undefined;
  let config: Parameters<typeof openReceiver>[0];
  try {
    const args = parseArgs(argv, SPEC);
    if (args.flags.has('help')) {
      io.stdout.write(`${LISTEN_USAGE}\n`);
      return 0;
    }
    if (args.positional.length > 0) throw new UsageError(`unexpected argument "${args.positional[0]}"`);
    const g = flagString(args, 'group');
    const p = flagNumber(args, 'port', 1, 65535);
    if (g === undefined || p === undefined) throw new UsageError('--group and --port are required');
    group = g;
    port = p;
    json = args.flags.has('json');
    intervalMs = flagNumber(args, 'interval', 50, 3_600_000) ?? 1000;
    durationS = flagNumber(args, 'duration', 0, 31_536_000);
    const snapPort = flagNumber(args, 'snapshot-port', 1, 65535);
    const channel = flagNumber(args, 'channel', 1, 65535);
    const snapGroup = flagString(args, 'snapshot-group');
    const iface = resolveInterface(flagString(args, 'interface') ?? '127.0.0.1', networkInterfaces());
    if (!iface.ok) throw new UsageError(`--interface: ${iface.detail}`);
    config = { group, port, interface: iface.address };
    if (snapGroup !== undefined) config.snapshotGroup = snapGroup;
    if (snapPort !== undefined) config.snapshotPort = snapPort;
    if (channel !== undefined) config.channelId = channel;
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`depthdesk listen: ${e.message}\n${LISTEN_USAGE}\n`);
      return 2;
    }
    throw e;
  }

  const opened = await openReceiver(config);
  if (!opened.ok) {
    io.stderr.write(`depthdesk listen: ${opened.error.detail}\n`);
    return opened.error.code === 'invalid-config' ? 2 : 1;
  }
  const rx = opened.receiver;
  const recent: string[] = [];
  const write = (s: string) => io.stdout.write(`${s}\n`);
  rx.on((e) => {
    if (json) write(JSON.stringify({ type: 'event', ts: new Date().toISOString(), event: e }));
    else {
      recent.push(`${new Date().toISOString()} ${eventText(e)}`);
      if (recent.length > 8) recent.shift();
    }
  });
  const redraw = io.stdout.isTTY === true && !json;
  const render = () => {
    if (json) {
      write(JSON.stringify({ type: 'status', ts: new Date().toISOString(), channel: rx.channel(), instruments: rx.instruments() }));
    } else {
      // On a terminal the table is redrawn in place; piped output gets one block per interval.
      write(`${redraw ? '\x1b[2J\x1b[H' : ''}${table(rx, recent)}${redraw ? '' : '\n'}`);
    }
  };

  await new Promise<void>((resolve) => {
    const timer = setInterval(render, intervalMs);
    const stopTimer = durationS !== undefined ? setTimeout(stop, durationS * 1000) : undefined;
    const onSignal = () => stop();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    io.signal?.addEventListener('abort', onSignal, { once: true });
    if (io.signal?.aborted) stop();
    function stop(): void {
      clearInterval(timer);
      if (stopTimer) clearTimeout(stopTimer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      io.signal?.removeEventListener('abort', onSignal);
      resolve();
    }
  });
  render();
  await rx.close();
  return 0;
}
