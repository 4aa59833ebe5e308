/**
 * docker's formatter contexts as Go values: a `*formatter.XContext` with the methods templates call
 * (`.ID`, `.Names`, `.Label "k"`…), the embedded HeaderContext (`.FullHeader`), MarshalJSON (one JSON
 * object with a key per no-argument method, sorted, HTML-escaped as json.Marshal does), and the header
 * map (`formatter.SubHeaderContext`, with `.Label`) a table's first row is rendered from.
 * Pure. Rules: docker/cli cli/command/formatter/custom.go and reflect.go (v28.2.2).
 */

import {
  addMethods,
  type GoMethod,
  type GoType,
  type GoValue,
  mapOf,
  namedType,
  ptrTo,
  setFields,
  structType,
  T,
} from "./GoType.js";
import { elem, goMap } from "./GoValue.js";
import { goJsonMarshal } from "./goJsonEncode.js";
import { toGoString } from "./goString.js";

/** formatter.SubHeaderContext: map[string]string with Label(name) (the last dotted part, `-`/`_` as spaces). */
export const SUB_HEADER_CONTEXT: GoType = addMethods(
  namedType("formatter.SubHeaderContext", mapOf(T.string, T.string)),
  [
    {
      name: "Label",
      ptrRecv: false,
      params: [T.string],
      result: T.string,
      call: (_recv, args) => {
        const name = (args[0]?.v as string) ?? "";
        const parts = name.split(".");
        return { t: T.string, v: (parts[parts.length - 1] ?? "").replaceAll("-", " ").replaceAll("_", " ") };
      },
    },
  ],
);

/** formatter.HeaderContext: { Header any } with FullHeader() on the pointer. */
export const HEADER_CONTEXT: GoType = namedType("formatter.HeaderContext", structType([]));
setFields(HEADER_CONTEXT, [{ name: "Header", type: T.any, json: null, embedded: false }]);
addMethods(HEADER_CONTEXT, [
  {
    name: "FullHeader",
    ptrRecv: true,
    params: [],
    result: T.any,
    call: (recv) => {
      const target = recv.t.kind === "ptr" ? elem(recv) : recv;
      const header = (target?.v as GoValue[] | undefined)?.[0];
      return header ?? { t: T.any, v: null };
    },
  },
]);

/** A method of a context: a name, a Go signature and its body over the row. */
export interface ContextMethod<R> {
  readonly name: string;
  readonly params?: readonly GoType[];
  readonly result: GoType;
  readonly call: (row: R, args: readonly GoValue[], self: GoValue[]) => GoValue;
}

/** A context type and how to make its values. */
export interface ContextKind<R> {
  /** *formatter.XContext */
  readonly ptrType: GoType;
  /** A row value (header unset, as docker's rows are). `fields` are the struct's other fields' values. */
  row(row: R, fields: readonly GoValue[]): GoValue;
  /** The header value a table's first line is rendered from. */
  header(columns: Readonly<Record<string, string>>): GoValue;
}

/** A plain Go string from a JS string. */
export function goText(s: string): GoValue {
  return { t: T.string, v: toGoString(s) };
}

/**
 * Defines `*formatter.<name>`: a struct { HeaderContext; <fields> } with the methods given (pointer
 * receivers) and MarshalJSON.
 */
export function defineContext<R>(
  name: string,
  fields: readonly { name: string; type: GoType }[],
  methods: readonly ContextMethod<R>[],
): ContextKind<R> {
  const t = namedType(name, structType([]));
  setFields(t, [
    { name: "", type: HEADER_CONTEXT, json: null, embedded: true },
    ...fields.map((f) => ({ name: f.name, type: f.type, json: null, embedded: false })),
  ]);
  const rowOf = (recv: GoValue): { row: R; fields: GoValue[] } => {
    const target = (recv.t.kind === "ptr" ? elem(recv) : recv) as GoValue;
    const v = target.v as GoValue[] & { row: R };
    return { row: v.row, fields: v };
  };
  const goMethods: GoMethod[] = methods.map((m) => ({
    name: m.name,
    ptrRecv: true,
    params: m.params ?? [],
    result: m.result,
    call: (recv, args) => {
      const { row, fields: f } = rowOf(recv);
      return m.call(row, args, f);
    },
  }));
  const jsonMethods = methods.filter((m) => (m.params ?? []).length === 0).map((m) => m.name);
  goMethods.push({
    name: "MarshalJSON",
    ptrRecv: true,
    params: [],
    result: T.string,
    returnsError: true,
    call: (recv) => {
      const { row, fields: f } = rowOf(recv);
      const entries = jsonMethods.map((n) => {
        const m = methods.find((x) => x.name === n) as ContextMethod<R>;
        return [n, { t: T.any, v: m.call(row, [], f) }] as const;
      });
      return { t: T.string, v: goJsonMarshal(goMap(mapOf(T.string, T.any), entries), true) };
    },
  });
  addMethods(t, goMethods);
  const make = (row: R, rest: readonly GoValue[], header: GoValue): GoValue => {
    const v = Object.assign([{ t: HEADER_CONTEXT, v: [header] }, ...rest], { row });
    return { t: ptrTo(t), v: { target: { t, v, addr: true } } };
  };
  return {
    ptrType: ptrTo(t),
    row: (row, rest) => make(row, rest, { t: T.any, v: null }),
    header: (columns) => {
      const map = goMap(
        SUB_HEADER_CONTEXT,
        Object.entries(columns).map(([k, v]) => [k, goText(v)] as const),
      );
      return map;
    },
  };
}
