import { describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import type { Envelope } from '../../../src-shared/contracts/engineApi.ts';
import { hostPort, parentPortPort, processIpcPort } from '../../../src-main/hosts/processPorts.ts';
import { envelopeProblem, jsonTextPort } from '../../../src-shared/contracts/transports.ts';

/** Electron's process.parentPort as the entries see it: message events carry `{ data }`. */
class FakeParentPort extends EventEmitter {
  readonly sent: unknown[] = [];
  postMessage(m: unknown): void {
    this.sent.push(m);
  }
}

describe('port adapters of the engine entries', () => {
  it('adapts Electron parentPort: envelopes in and out, anything else dropped', () => {
    const pp = new FakeParentPort();
    const port = parentPortPort(pp);
    const got: Envelope[] = [];
    port.onMessage((m) => got.push(m));
    pp.emit('message', { data: { t: 'req', id: 1, method: 'status.get', params: {} } });
    pp.emit('message', { data: 'not an envelope' });
    pp.emit('message', { data: { t: 'req', id: 'one', method: 'x' } });
    expect(got).toEqual([{ t: 'req', id: 1, method: 'status.get', params: {} }]);
    port.post({ t: 'bye', reason: 'done' });
    expect(pp.sent).toEqual([{ t: 'bye', reason: 'done' }]);
    const closed: string[] = [];
    port.onClose((r) => closed.push(r));
    port.close('stop');
    port.post({ t: 'bye', reason: 'after close' });
    expect(closed).toEqual(['stop']);
    expect(pp.sent).toHaveLength(1);
  });

  it('an entry takes parentPort inside Electron, the IPC channel under fork, and refuses to run alone', () => {
    const pp = new FakeParentPort();
    const electronChild = Object.assign(new EventEmitter(), { parentPort: pp }) as unknown as NodeJS.Process;
    hostPort(electronChild).post({ t: 'bye', reason: 'x' });
    expect(pp.sent).toEqual([{ t: 'bye', reason: 'x' }]);

    const sent: unknown[] = [];
    const forked = Object.assign(new EventEmitter(), {
      connected: true,
      send: (m: unknown, _h: unknown, _o: unknown, cb?: (e: Error | null) => void) => {
        sent.push(m);
        cb?.(null);
        return true;
      },
      disconnect() {},
    }) as unknown as NodeJS.Process;
    const port = hostPort(forked);
    port.post({ t: 'evt', topic: 'feed.notice', data: {} });
    expect(sent).toEqual([{ t: 'evt', topic: 'feed.notice', data: {} }]);
    const closed: string[] = [];
    port.onClose((r) => closed.push(r));
    (forked as unknown as EventEmitter).emit('disconnect');
    expect(closed).toEqual(['parent disconnected']);

    const alone = new EventEmitter() as unknown as NodeJS.Process;
    expect(() => hostPort(alone)).toThrow(/runs as an Electron utility process or a forked child/);
    expect(() => processIpcPort(alone)).toThrow(/was not started with an IPC channel/);
  });

  it('the JSON bridge port names what is wrong with a malformed frame', () => {
    const reasons: string[] = [];
    const t = jsonTextPort(() => {}, (r) => reasons.push(r));
    t.deliverText('{"t":"hello","hello":{"protocolVersion":1}}');
    expect(reasons).toEqual(['bad message: hello needs protocolVersion, build, role and name']);
    expect(envelopeProblem({ t: 'res', id: 3, ok: false, error: { code: 'timeout' } })).toBe('error res without code and message');
    expect(envelopeProblem({ t: 'evt', topic: 'book.frame', data: {} })).toBeNull();
    expect(envelopeProblem([])).toBe('not an object');
  });
});
