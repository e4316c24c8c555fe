/**
 * Seeded packet impairment between a socket and a receiver, for tests (design 4.5). Loopback
 * multicast never loses anything and this kernel has no sch_netem (design 3.2), so loss is
 * injected in-process: independent random loss plus bursts (a lost packet starts a run of
 * `burstLength` further losses with probability `burstProbability`), from an xorshift32 stream
 * so that every run with the same seed drops the same packets.
 */

export interface ImpairmentConfig {
  seed: number;
  /** Probability that any packet is dropped. */
  lossRate?: number;
  /** Probability that a packet starts a burst of losses. */
  burstProbability?: number;
  /** Packets lost in a burst (after the one that started it). */
  burstLength?: number;
  /** Which feed is impaired. */
  applyTo?: 'incremental' | 'snapshot' | 'both';
  /** Packets to let through untouched first (e.g. to let a receiver sync before losses begin). */
  skipFirst?: number;
}

export interface ImpairmentStats {
  seen: number;
  dropped: number;
  bursts: number;
}

/** xorshift32 (Marsaglia 2003); never yields 0 from a non-zero state. */
export class Xorshift32 {
  private s: number;

  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }

  nextU32(): number {
    let s = this.s;
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    this.s = s;
    return s;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }
}

export class Impairment {
  private readonly rng: Xorshift32;
  private readonly lossRate: number;
  private readonly burstProbability: number;
  private readonly burstLength: number;
  private readonly applyTo: 'incremental' | 'snapshot' | 'both';
  private readonly skipFirst: number;
  private burstLeft = 0;
  private readonly counters: ImpairmentStats = { seen: 0, dropped: 0, bursts: 0 };

  constructor(config: ImpairmentConfig) {
    this.rng = new Xorshift32(config.seed);
    this.lossRate = config.lossRate ?? 0;
    this.burstProbability = config.burstProbability ?? 0;
    this.burstLength = config.burstLength ?? 0;
    this.applyTo = config.applyTo ?? 'both';
    this.skipFirst = config.skipFirst ?? 0;
  }

  /** True when the packet should reach the receiver. */
  admit(source: 'incremental' | 'snapshot'): boolean {
    if (this.applyTo !== 'both' && this.applyTo !== source) return true;
    this.counters.seen++;
    if (this.counters.seen <= this.skipFirst) return true;
    if (this.burstLeft > 0) {
      this.burstLeft--;
      this.counters.dropped++;
      return false;
    }
    if (this.rng.next() < this.burstProbability) {
      this.burstLeft = this.burstLength;
      this.counters.bursts++;
      this.counters.dropped++;
      return false;
    }
    if (this.rng.next() < this.lossRate) {
      this.counters.dropped++;
      return false;
    }
    return true;
  }

  stats(): ImpairmentStats {
    return { ...this.counters };
  }
}
