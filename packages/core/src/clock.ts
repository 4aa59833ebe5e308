/**
 * Time and identity are inputs. `decide`, `evolve` and `replay` never read a clock or make an id: the
 * engine asks the {@link Clock} and {@link IdSource} it was given, and records what they answered in the
 * commands and events, so a replay reproduces the same state byte for byte.
 *
 * This file is the only place in the package that reads real time or real randomness.
 */
import { createHash, randomBytes } from "node:crypto";

/** A source of the current time, in milliseconds since the Unix epoch. */
export interface Clock {
  now(): number;
}

/** A clock the caller moves by hand. Nothing in the engine waits on real time. */
export interface SimulatedClock extends Clock {
  /** Moves the clock forward by `ms` (which must be ≥ 0) and returns the new time. */
  advance(ms: number): number;
  /** Sets the clock to `t` (which must not be earlier than now) and returns it. */
  set(t: number): number;
}

/** The real wall clock. Use it at the edge of an application, never in tests of the rules. */
export const systemClock: Clock = { now: () => Date.now() };

/**
 * A clock that starts at `start` (default 2026-01-01T00:00:00Z) and only moves when told.
 *
 * @example
 * const clock = simulatedClock();
 * clock.advance(10_000); // ten simulated seconds pass, instantly
 */
export function simulatedClock(start = Date.UTC(2026, 0, 1)): SimulatedClock {
  let t = start;
  return {
    now: () => t,
    advance(ms: number) {
      if (!(ms >= 0)) throw new RangeError(`clock.advance: ms must be >= 0, got ${ms}`);
      t += ms;
      return t;
    },
    set(next: number) {
      if (!(next >= t)) throw new RangeError(`clock.set: time cannot go back from ${t} to ${next}`);
      t = next;
      return t;
    },
  };
}

/** What kind of thing an id is made for; the kind is mixed into deterministic ids. */
export type IdKind = "container" | "image" | "layer" | "exec";

/** Makes new ids: 64 lowercase hex digits. */
export interface IdSource {
  next(kind: IdKind): string;
}

/**
 * Deterministic ids: sha256 of `seed`, the kind and a counter. Two engines given the same seed and the
 * same commands make the same ids.
 *
 * @example
 * const ids = sequentialIds("test");
 * ids.next("container"); // always the same 64-hex id for this seed
 */
export function sequentialIds(seed = "strata"): IdSource {
  let n = 0;
  return {
    next(kind: IdKind) {
      n += 1;
      return createHash("sha256").update(`${seed}/${kind}/${n}`).digest("hex");
    },
  };
}

/** Random ids from the operating system, for applications. */
export const randomIds: IdSource = { next: () => randomBytes(32).toString("hex") };
