/**
 * A small seeded PRNG (mulberry32): every workload is generated from a fixed seed, so two runs measure
 * exactly the same work.
 */
import { createHash } from "node:crypto";

export interface SeededRandom {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  /** `n` bytes. */
  bytes(n: number): Buffer;
}

export function seededRandom(seed: number): SeededRandom {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    bytes(n) {
      // sha256 in counter mode from the next draw: fast for megabytes, and still a function of the seed.
      const key = `${(next() * 4294967296) >>> 0}`;
      const out = Buffer.alloc(n);
      for (let i = 0, block = 0; i < n; i += 32, block++)
        createHash("sha256")
          .update(`${key}:${block}`)
          .digest()
          .copy(out, i, 0, Math.min(32, n - i));
      return out;
    },
  };
}
