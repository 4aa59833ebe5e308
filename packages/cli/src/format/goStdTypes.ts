/**
 * The standard-library types the API's types use, with the methods templates reach: time.Time (String,
 * Unix, IsZero; JSON as RFC 3339 nano), time.Duration (String: "1m30s"), os.FileMode (String:
 * "-rw-r--r--"), digest.Digest (String, Algorithm, Encoded) and json.Number (String, Int64, Float64;
 * JSON as the literal). Pure. Rules: Go time, os, encoding/json; opencontainers/go-digest.
 */

import {
  addMethods,
  GoFuncError,
  type GoMethod,
  type GoType,
  type GoValue,
  namedType,
  structType,
  T,
} from "./GoType.js";
import { elem } from "./GoValue.js";
import { JSON_NUMBER, registerJsonDecoder } from "./goJsonDecode.js";
import { parseGoFloat, parseGoInt } from "./goNumber.js";
import { toGoString } from "./goString.js";
import {
  durationString,
  formatRfc3339Nano,
  type GoTime,
  parseRfc3339,
  timeString,
  ZERO_TIME,
} from "./goTime.js";

const str = (s: string): GoValue => ({ t: T.string, v: s });

function method(name: string, result: GoType, fn: (recv: GoValue) => GoValue, ptrRecv = false): GoMethod {
  return { name, ptrRecv, params: [], result, call: (recv) => fn(recv) };
}

/** The receiver's own value (through a pointer receiver). */
function self(recv: GoValue): GoValue {
  if (recv.t.kind === "ptr") {
    const target = elem(recv);
    if (!target) throw new GoFuncError("runtime error: invalid memory address or nil pointer dereference");
    return target;
  }
  return recv;
}

/** time.Time: a struct with no exported fields; the instant rides along as `time`. */
export const TIME: GoType = namedType("time.Time", structType([]));

/** A time.Time value. */
export function goTimeValue(t: GoTime): GoValue {
  return { t: TIME, v: Object.assign([], { time: t }) };
}

/** The instant in a time.Time value. */
export function timeOf(v: GoValue): GoTime {
  return (v.v as { time?: GoTime }).time ?? ZERO_TIME;
}

addMethods(TIME, [
  method("String", T.string, (r) => str(timeString(timeOf(self(r))))),
  method("Unix", T.int64, (r) => {
    const ns = timeOf(self(r)).ns;
    let s = ns / 1_000_000_000n;
    if (ns < 0n && ns % 1_000_000_000n !== 0n) s -= 1n;
    return { t: T.int64, v: s };
  }),
  method("IsZero", T.bool, (r) => ({ t: T.bool, v: timeOf(self(r)).ns === ZERO_TIME.ns })),
  method("MarshalJSON", T.string, (r) => str(`"${formatRfc3339Nano(timeOf(self(r)))}"`)),
]);

registerJsonDecoder(TIME, (raw) => {
  if (raw.kind === "null") return goTimeValue(ZERO_TIME);
  if (raw.kind !== "string") throw new GoFuncError(`parsing time ${raw.kind} as "2006-01-02T15:04:05Z07:00"`);
  const t = parseRfc3339(raw.value);
  if (!t) throw new GoFuncError(`parsing time "${raw.value}" as "2006-01-02T15:04:05Z07:00"`);
  return goTimeValue(t);
});

/** time.Duration (int64 nanoseconds). */
export const DURATION: GoType = addMethods(namedType("time.Duration", T.int64), [
  method("String", T.string, (r) => str(toGoString(durationString(self(r).v as bigint)))),
  method("Seconds", T.float64, (r) => ({ t: T.float64, v: Number(self(r).v as bigint) / 1e9 })),
]);

function fileModeString(m: bigint): string {
  const chars = "dalTLDpSugct?";
  let out = "";
  for (let i = 0; i < chars.length; i++) {
    if ((m >> BigInt(31 - i)) & 1n) out += chars[i];
  }
  if (out === "") out = "-";
  const rwx = "rwxrwxrwx";
  for (let i = 0; i < 9; i++) out += (m >> BigInt(8 - i)) & 1n ? rwx[i] : "-";
  return out;
}

/** os.FileMode (uint32). */
export const FILE_MODE: GoType = addMethods(namedType("os.FileMode", T.uint32), [
  method("String", T.string, (r) => str(fileModeString(self(r).v as bigint))),
]);

/** digest.Digest ("sha256:…"). */
export const DIGEST: GoType = addMethods(namedType("digest.Digest", T.string), [
  method("String", T.string, (r) => str(self(r).v as string)),
  method("Algorithm", T.string, (r) => str((self(r).v as string).split(":")[0] ?? "")),
  method("Encoded", T.string, (r) => {
    const s = self(r).v as string;
    return str(s.slice(s.indexOf(":") + 1));
  }),
]);

addMethods(JSON_NUMBER, [
  method("String", T.string, (r) => str(self(r).v as string)),
  method("MarshalJSON", T.string, (r) => str((self(r).v as string) || "0")),
  {
    name: "Int64",
    ptrRecv: false,
    params: [],
    result: T.int64,
    returnsError: true,
    call: (r) => {
      const s = self(r).v as string;
      const n = parseGoInt(s);
      if (n === undefined) throw new GoFuncError(`strconv.ParseInt: parsing "${s}": invalid syntax`);
      return { t: T.int64, v: n };
    },
  },
  {
    name: "Float64",
    ptrRecv: false,
    params: [],
    result: T.float64,
    returnsError: true,
    call: (r) => {
      const s = self(r).v as string;
      const n = parseGoFloat(s);
      if (n === undefined) throw new GoFuncError(`strconv.ParseFloat: parsing "${s}": invalid syntax`);
      return { t: T.float64, v: n };
    },
  },
]);

/** The standard types by qualified name, for the type registry. */
export const STD_TYPES: Readonly<Record<string, GoType>> = {
  "time.Time": TIME,
  "time.Duration": DURATION,
  "os.FileMode": FILE_MODE,
  "digest.Digest": DIGEST,
  "json.Number": JSON_NUMBER,
};
