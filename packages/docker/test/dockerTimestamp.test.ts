/**
 * `since` and `until` as dockerd reads them (unix seconds with up to nine fraction digits, exactly) and as
 * the docker CLI converts them (Go durations before now, RFC 3339 forms); anything else is dockerd's
 * answer. The real CLI's conversion is checked against these in events.e2e.test.ts.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { dockerTimestamp, parseGoDuration, parseUnixTimestamp } from "../src/shapes/dockerTimestamp.js";
import { DockerApiError } from "../src/shapes/errors.js";
import { parseDockerTime } from "../src/shapes/time.js";

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0, 250);
const S = 1_000_000_000n;

const refusal = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DockerApiError);
    return { status: (e as DockerApiError).status, message: (e as Error).message };
  }
  throw new Error("not refused");
};

describe("unix seconds, as dockerd parses them", () => {
  test("whole, fractional (scaled to nanoseconds, exactly), signed; more than nine digits are cut", () => {
    expect(parseUnixTimestamp("0")).toBe(0n);
    expect(parseUnixTimestamp("1718013600")).toBe(1718013600n * S);
    expect(parseUnixTimestamp("1718013600.123456789")).toBe(1718013600123456789n);
    expect(parseUnixTimestamp("1.5")).toBe(1_500_000_000n);
    expect(parseUnixTimestamp("1.1234567891")).toBe(1_123_456_789n);
    expect(parseUnixTimestamp("+5")).toBe(5n * S);
    expect(parseUnixTimestamp("-1.5")).toBe(-500_000_000n);
  });

  test("anything else is the strconv error dockerd answers with a 500", () => {
    expect(refusal(() => parseUnixTimestamp("abc"))).toEqual({
      status: 500,
      message: 'strconv.ParseInt: parsing "abc": invalid syntax',
    });
    expect(refusal(() => parseUnixTimestamp("1.")).message).toBe(
      'strconv.ParseInt: parsing "": invalid syntax',
    );
    expect(refusal(() => parseUnixTimestamp("99999999999999999999")).message).toBe(
      'strconv.ParseInt: parsing "99999999999999999999": value out of range',
    );
  });

  test("property: seconds and up to nine digits read back exactly", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 9_000_000_000n }),
        fc.stringMatching(/^\d{1,9}$/),
        (sec, frac) => {
          const ns = BigInt(frac.padEnd(9, "0"));
          expect(parseUnixTimestamp(`${sec}.${frac}`)).toBe(sec * S + ns);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("what the docker CLI converts (GetTimestamp), read here too", () => {
  test("Go durations count back from now to whole seconds; 0 is the epoch, not a duration", () => {
    expect(parseGoDuration("1h30m")).toBe(5400e9);
    expect(parseGoDuration("1.5h")).toBe(5400e9);
    expect(parseGoDuration("300ms")).toBe(300e6);
    expect(parseGoDuration("-2m")).toBe(-120e9);
    expect(parseGoDuration("10")).toBeNull();
    expect(parseGoDuration("h")).toBeNull();
    expect(dockerTimestamp("10m", NOW)).toBe(BigInt(Math.floor((NOW - 600_000) / 1000)) * S);
    expect(dockerTimestamp("-1h", NOW)).toBe(BigInt(Math.floor((NOW + 3_600_000) / 1000)) * S);
    expect(dockerTimestamp("0", NOW)).toBe(0n);
    expect(dockerTimestamp("", NOW)).toBeNull();
    expect(dockerTimestamp(undefined, NOW)).toBeNull();
  });

  test("RFC 3339 with a zone, to the nanosecond", () => {
    expect(dockerTimestamp("2026-01-01T00:00:00Z", NOW)).toBe(BigInt(Date.UTC(2026, 0, 1)) * 1_000_000n);
    expect(dockerTimestamp("2026-01-01T00:00:00.000000001Z", NOW)).toBe(
      BigInt(Date.UTC(2026, 0, 1)) * 1_000_000n + 1n,
    );
    expect(dockerTimestamp("2026-01-01T01:00:00+01:00", NOW)).toBe(BigInt(Date.UTC(2026, 0, 1)) * 1_000_000n);
    expect(dockerTimestamp("2026-01-01T10Z", NOW)).toBe(BigInt(Date.UTC(2026, 0, 1, 10)) * 1_000_000n);
    expect(dockerTimestamp("2026-01-01T10:30-02:00", NOW)).toBe(
      BigInt(Date.UTC(2026, 0, 1, 12, 30)) * 1_000_000n,
    );
    expect(dockerTimestamp("2026-01-01Z", NOW)).toBe(BigInt(Date.UTC(2026, 0, 1)) * 1_000_000n);
    expect(dockerTimestamp("2026-01-02-01:00", NOW)).toBe(BigInt(Date.UTC(2026, 0, 2, 1)) * 1_000_000n);
  });

  test("without a zone: the server's local zone, as the CLI reads it in its own", () => {
    const offset = -new Date(NOW).getTimezoneOffset() * 60_000;
    const local = (ms: number) => BigInt(ms - offset) * 1_000_000n;
    expect(dockerTimestamp("2026-01-01", NOW)).toBe(local(Date.UTC(2026, 0, 1)));
    expect(dockerTimestamp("2026-01-01T10", NOW)).toBe(local(Date.UTC(2026, 0, 1, 10)));
    expect(dockerTimestamp("2026-01-01T10:30", NOW)).toBe(local(Date.UTC(2026, 0, 1, 10, 30)));
    expect(dockerTimestamp("2026-01-01T10:30:05", NOW)).toBe(local(Date.UTC(2026, 0, 1, 10, 30, 5)));
    expect(dockerTimestamp("2026-01-01T10:30:05.5", NOW)).toBe(local(Date.UTC(2026, 0, 1, 10, 30, 5, 500)));
  });

  test("a date that does not exist is not one (dockerd's error for the raw text)", () => {
    for (const bad of ["2026-02-30", "2026-13-01T00:00:00Z", "2026-01-01T24:00:00Z", "2026-1-01"])
      expect(refusal(() => dockerTimestamp(bad, NOW)).status).toBe(500);
  });

  test("property: every ISO instant reads as its milliseconds, in any zone offset", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: Date.UTC(2200, 0, 1) }),
        fc.integer({ min: -14 * 60, max: 14 * 60 }),
        (ms, offsetMin) => {
          const shifted = new Date(ms + offsetMin * 60_000).toISOString().slice(0, -1);
          const sign = offsetMin < 0 ? "-" : "+";
          const abs = Math.abs(offsetMin);
          const zone = `${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
          expect(dockerTimestamp(`${shifted}${zone}`, NOW)).toBe(BigInt(ms) * 1_000_000n);
          expect(parseDockerTime(`${shifted}${zone}`)).toBe(ms);
        },
      ),
      { numRuns: 500 },
    );
  });

  test("parseDockerTime: milliseconds (with a fraction), durations only given a now, null for the rest", () => {
    expect(parseDockerTime("1718013600.5")).toBe(1718013600500);
    expect(parseDockerTime("10m")).toBeNull();
    expect(parseDockerTime("10m", NOW)).toBe(Math.floor((NOW - 600_000) / 1000) * 1000);
    expect(parseDockerTime("yesterday")).toBeNull();
    expect(parseDockerTime("")).toBeNull();
  });
});
