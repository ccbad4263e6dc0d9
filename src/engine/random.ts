/**
 * Deterministic pseudo-random numbers. Everything random in the engine (initialisation, dropout
 * masks, batch placement, sampling) draws from a seeded `Rng`, so the same seed reproduces a run.
 * mulberry32: tiny, fast and good enough for machine-learning noise (not for cryptography).
 */

/** Mixes a seed and a stream number into a well-spread 32-bit seed (splitmix32 finaliser). */
export function deriveSeed(seed: number, stream = 0): number {
  // Fold in the high bits so seeds above 2^32 still differ.
  let x = (Math.trunc(seed) >>> 0) ^ Math.imul(Math.floor(Math.trunc(seed) / 4294967296) >>> 0, 0x85ebca6b);
  x = (x + Math.imul(stream + 1, 0x9e3779b9)) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

export class Rng {
  private state: number;
  private spareNormal: number | undefined;

  constructor(seed: number, stream = 0) {
    this.state = deriveSeed(seed, stream);
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Standard normal (Box-Muller, caching the second value). */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const v = this.spareNormal;
      this.spareNormal = undefined;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
}
