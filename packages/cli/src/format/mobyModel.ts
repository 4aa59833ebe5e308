/**
 * The Engine API's Go types, resolved (mobyTypes.ts) and given the behaviour the docker CLI's copy has:
 * strslice.StrSlice's UnmarshalJSON (a string or an array), nat.Port's Port/Proto/Int and NetworkMode's
 * predicates. `decodeApiJson` turns the daemon's JSON into the value the CLI's templates see.
 * Pure. Rules: moby api/types (as vendored by docker/cli v28.2.2), go-connections/nat.
 */

import { addMethods, GoFuncError, type GoMethod, type GoType, type GoValue, sliceOf, T } from "./GoType.js";
import { elem } from "./GoValue.js";
import { goJsonUnmarshal, registerJsonDecoder } from "./goJsonDecode.js";
import { STD_TYPES } from "./goStdTypes.js";
import { toGoString } from "./goString.js";
import { GoTypeRegistry } from "./goTypeDefs.js";
import { MOBY_TYPE_DEFS } from "./mobyTypes.js";
import { parseRawJson } from "./rawJson.js";

/** The registry of API types (`moby.named("container.InspectResponse")`). */
export const moby: GoTypeRegistry = new GoTypeRegistry(MOBY_TYPE_DEFS, STD_TYPES);

const STRINGS = sliceOf(T.string);
const strSlice = moby.named("strslice.StrSlice");
registerJsonDecoder(strSlice, (raw, options) => {
  if (raw.kind === "string") return { t: strSlice, v: [{ t: T.string, v: raw.value, addr: true }] };
  if (raw.kind === "null") return { t: strSlice, v: null };
  const list = goJsonUnmarshal(raw, STRINGS, options);
  return { t: strSlice, v: list.v };
});

function self(recv: GoValue): string {
  const v = recv.t.kind === "ptr" ? elem(recv) : recv;
  if (!v) throw new GoFuncError("runtime error: invalid memory address or nil pointer dereference");
  return v.v as string;
}

function m(name: string, result: GoType, fn: (s: string) => unknown): GoMethod {
  return {
    name,
    ptrRecv: false,
    params: [],
    result,
    call: (recv) => {
      const out = fn(self(recv));
      if (typeof out === "boolean") return { t: T.bool, v: out };
      if (typeof out === "number") return { t: T.int, v: BigInt(out) };
      return { t: T.string, v: out as string };
    },
  };
}

// nat.Port: "80/tcp".
addMethods(moby.named("nat.Port"), [
  m("Proto", T.string, (s) => (s.includes("/") ? s.slice(s.indexOf("/") + 1) : "tcp")),
  m("Port", T.string, (s) => s.split("/")[0] ?? ""),
  m("Int", T.int, (s) => {
    const n = Number.parseInt((s.split("/")[0] ?? "").split("-")[0] ?? "", 10);
    return Number.isNaN(n) ? 0 : n;
  }),
]);

// container.NetworkMode (hostconfig.go, hostconfig_unix.go).
const isContainer = (s: string) => s.startsWith("container:");
const isBuiltinNet = (s: string) => ["default", "bridge", "host", "none"].includes(s) || isContainer(s);
addMethods(moby.named("container.NetworkMode"), [
  m("IsDefault", T.bool, (s) => s === "default"),
  m("IsNone", T.bool, (s) => s === "none"),
  m("IsHost", T.bool, (s) => s === "host"),
  m("IsBridge", T.bool, (s) => s === "bridge"),
  m("IsContainer", T.bool, isContainer),
  m("IsPrivate", T.bool, (s) => s !== "host" && !isContainer(s)),
  m("IsUserDefined", T.bool, (s) => !isBuiltinNet(s)),
  m("ConnectedContainer", T.string, (s) => (isContainer(s) ? s.slice("container:".length) : "")),
  m("UserDefined", T.string, (s) => (isBuiltinNet(s) ? "" : s)),
  m("NetworkName", T.string, (s) => {
    if (["default", "bridge", "host", "none"].includes(s)) return s;
    if (isContainer(s)) return "container";
    return s;
  }),
]);

/** Decodes the daemon's JSON (a JS string) into `typeName`, as the CLI's json.Unmarshal does. */
export function decodeApiJson(json: string, typeName: string): GoValue {
  return goJsonUnmarshal(parseRawJson(toGoString(json)), moby.named(typeName));
}

/** Decodes an already-parsed JS value (re-serialised; numbers keep their JS value). */
export function decodeApiValue(value: unknown, typeName: string): GoValue {
  return decodeApiJson(JSON.stringify(value), typeName);
}
