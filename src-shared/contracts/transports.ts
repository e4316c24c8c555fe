/**
 * Building blocks for `Port`s over real transports, kept free of any environment so that the
 * same code serves a forked Node child (IPC channel), an Electron utility process (parentPort,
 * MessagePortMain), the page (MessagePort from the preload, WebSocket to the headless host) and
 * the host's side of its WebSocket bridge.
 *
 * The caller owns the transport: it hands `channelPort` a way to send and a way to close, then
 * feeds what arrives into `deliver` and reports the transport's end with `end`. Messages coming
 * from a transport that is not fully trusted (a browser over a WebSocket) are checked with
 * `isEnvelope` first; anything else closes the connection with a message saying why.
 */
import type { Envelope } from './engineApi.ts';
import type { Port } from './rpc.ts';

export interface PortEnds {
  /** The port handed to a `Peer`. */
  port: Port;
  /** A message arrived from the other side. */
  deliver(msg: Envelope): void;
  /** The transport went away (socket closed, child exited, IPC disconnected). Idempotent. */
  end(reason: string): void;
}

/**
 * A `Port` over any message transport. `send` must never throw for a transport that went away
 * (drop the message instead); `close` is called once, when this side closes the port.
 */
export function channelPort(send: (msg: Envelope) => void, close: (reason: string) => void): PortEnds {
  const handlers = new Set<(m: Envelope) => void>();
  const closers = new Set<(r: string) => void>();
  let closed = false;
  const finish = (reason: string): void => {
    if (closed) return;
    closed = true;
    for (const h of closers) h(reason);
    closers.clear();
    handlers.clear();
  };
  const port: Port = {
    post(msg) {
      if (!closed) send(msg);
    },
    onMessage(h) {
      handlers.add(h);
      return () => handlers.delete(h);
    },
    onClose(h) {
      closers.add(h);
      return () => closers.delete(h);
    },
    close(reason) {
      if (closed) return;
      close(reason);
      finish(reason);
    },
  };
  return {
    port,
    deliver(msg) {
      if (closed) return;
      for (const h of handlers) h(msg);
    },
    end: finish,
  };
}

/** A `Port` that carries envelopes as JSON text (the WebSocket bridge). */
export interface TextPortEnds {
  port: Port;
  /** A text frame arrived; malformed frames close the port with the reason. */
  deliverText(text: string): void;
  end(reason: string): void;
}

export function jsonTextPort(sendText: (text: string) => void, close: (reason: string) => void): TextPortEnds {
  const ends = channelPort((m) => sendText(JSON.stringify(m)), close);
  return {
    port: ends.port,
    deliverText(text) {
      let v: unknown;
      try {
        v = JSON.parse(text);
      } catch {
        ends.port.close('bad message: not JSON');
        return;
      }
      const why = envelopeProblem(v);
      if (why !== null) {
        ends.port.close(`bad message: ${why}`);
        return;
      }
      ends.deliver(v as Envelope);
    },
    end: ends.end,
  };
}

const TAGS = new Set(['hello', 'req', 'res', 'evt', 'bye']);

/** Why a value is not an `Envelope`, or null when it is one (shape only; payloads are checked by handlers). */
export function envelopeProblem(v: unknown): string | null {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'not an object';
  const o = v as Record<string, unknown>;
  const t = o['t'];
  if (typeof t !== 'string' || !TAGS.has(t)) return `unknown tag ${JSON.stringify(t)}`;
  switch (t) {
    case 'hello': {
      const h = o['hello'] as Record<string, unknown> | null | undefined;
      if (h === null || typeof h !== 'object') return 'hello without a hello object';
      if (typeof h['protocolVersion'] !== 'number' || typeof h['build'] !== 'string' || typeof h['role'] !== 'string' || typeof h['name'] !== 'string') return 'hello needs protocolVersion, build, role and name';
      return null;
    }
    case 'req':
      if (!Number.isSafeInteger(o['id'])) return 'req without an integer id';
      if (typeof o['method'] !== 'string') return 'req without a method';
      return null;
    case 'res':
      if (!Number.isSafeInteger(o['id'])) return 'res without an integer id';
      if (o['ok'] === true) return null;
      if (o['ok'] === false) {
        const e = o['error'] as Record<string, unknown> | null | undefined;
        if (e === null || typeof e !== 'object' || typeof e['code'] !== 'string' || typeof e['message'] !== 'string') return 'error res without code and message';
        return null;
      }
      return 'res without ok';
    case 'evt':
      return typeof o['topic'] === 'string' ? null : 'evt without a topic';
    default:
      return typeof o['reason'] === 'string' ? null : 'bye without a reason';
  }
}

export function isEnvelope(v: unknown): v is Envelope {
  return envelopeProblem(v) === null;
}
