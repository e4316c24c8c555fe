/**
 * Collects what a supervisor (or a peer) emits and lets a test wait for a particular event,
 * without any timing assumption: the wait ends when the event arrives (vitest's test timeout is
 * the only bound).
 */
import type { EngineEvents, EngineTopic } from '../../src-shared/contracts/engineApi.ts';

export interface Logged {
  topic: EngineTopic;
  data: unknown;
  atMs: number;
}

export class EventLog {
  readonly all: Logged[] = [];
  private waiters: { test(e: Logged): boolean; resolve(e: Logged): void }[] = [];

  emit<T extends EngineTopic>(topic: T, data: EngineEvents[T]): void {
    const e = { topic, data, atMs: performance.now() };
    this.all.push(e);
    for (const w of this.waiters.slice()) {
      if (w.test(e)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(e);
      }
    }
  }

  of<T extends EngineTopic>(topic: T): EngineEvents[T][] {
    return this.all.filter((e) => e.topic === topic).map((e) => e.data as EngineEvents[T]);
  }

  /** The first event (already logged or future) of `topic` that matches. */
  waitFor<T extends EngineTopic>(topic: T, match: (d: EngineEvents[T]) => boolean = () => true, since = 0): Promise<{ data: EngineEvents[T]; atMs: number }> {
    const test = (e: Logged) => e.topic === topic && e.atMs >= since && match(e.data as EngineEvents[T]);
    const hit = this.all.find(test);
    if (hit) return Promise.resolve({ data: hit.data as EngineEvents[T], atMs: hit.atMs });
    return new Promise((resolve) => this.waiters.push({ test, resolve: (e) => resolve({ data: e.data as EngineEvents[T], atMs: e.atMs }) }));
  }
}
