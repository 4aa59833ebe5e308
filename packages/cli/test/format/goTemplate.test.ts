/**
 * The Go template engine against Go's text/template semantics: the expected outputs and error texts
 * below follow Go's exec.go, funcs.go, parse.go and fmt (and were checked against the docker CLI 28.2,
 * built with Go 1.24, in dockerOracle.e2e.test.ts); properties tie `{{json .}}`, the map and slice
 * printers, trim markers and `printf` to independent models over random data.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { DOCKER_FUNCS } from "../../src/format/dockerFuncs.js";
import { parseGoTemplate, TemplateExecError, TemplateParseError } from "../../src/format/GoTemplate.js";
import type { GoValue } from "../../src/format/GoType.js";
import { decodeAny, goJsonUnmarshal } from "../../src/format/goJsonDecode.js";
import { toGoString } from "../../src/format/goString.js";
import { GoTypeRegistry } from "../../src/format/goTypeDefs.js";
import { parseRawJson } from "../../src/format/rawJson.js";

/** The value a template sees for JSON data decoded into interface{} (docker inspect's fallback). */
function anyOf(json: unknown): GoValue | undefined {
  return decodeAny(parseRawJson(toGoString(JSON.stringify(json))), {}) ?? undefined;
}

function run(template: string, data: GoValue | undefined): string {
  return parseGoTemplate(template, DOCKER_FUNCS).execute(data);
}

function error(template: string, data: GoValue | undefined): string {
  try {
    run(template, data);
  } catch (e) {
    if (e instanceof TemplateParseError || e instanceof TemplateExecError) return e.message;
    throw e;
  }
  throw new Error(`${template} did not fail`);
}

const doc = anyOf({
  Name: "/web",
  Labels: { b: "2", a: "1" },
  Args: ["sh", "-c", "x y"],
  Pid: 1234567,
  F: 1.5,
  N: null,
  Nested: { X: { Y: 1 } },
  E: [],
  S: "héllo",
});

describe("values print as Go prints them", () => {
  test.each([
    ["{{.Name}}", "/web"],
    ["{{.Labels}}", "map[a:1 b:2]"],
    ["{{.Args}}", "[sh -c x y]"],
    ["{{.Pid}}", "1.234567e+06"],
    ["{{.F}}", "1.5"],
    ["{{.N}}", "<no value>"],
    ["{{.Missing}}", "<no value>"],
    ["{{.E}}", "[]"],
    ["{{.Nested}}", "map[X:map[Y:1]]"],
    ["{{print .N}}", "<nil>"],
    ['{{printf "%v" .Missing}}', "<nil>"],
    ['{{index .Labels "zz"}}', "<no value>"],
    [
      "{{.}}",
      "map[Args:[sh -c x y] E:[] F:1.5 Labels:map[a:1 b:2] N:<nil> Name:/web Nested:map[X:map[Y:1]] Pid:1.234567e+06 S:héllo]",
    ],
  ])("%s", (tmpl, want) => {
    expect(run(tmpl, doc)).toBe(want);
  });
});

describe("actions", () => {
  test.each([
    ["{{range .Args}}[{{.}}]{{end}}", "[sh][-c][x y]"],
    ["{{range $i, $a := .Args}}{{$i}}={{$a}} {{end}}", "0=sh 1=-c 2=x y "],
    ["{{range $k, $v := .Labels}}{{$k}}={{$v}};{{end}}", "a=1;b=2;"],
    ["{{range .E}}x{{else}}empty{{end}}", "empty"],
    ["{{range .Missing}}x{{else}}none{{end}}", "none"],
    ["{{range 3}}{{.}}{{end}}", "012"],
    ['{{range .Args}}{{if eq . "-c"}}{{break}}{{end}}{{.}}{{end}}', "sh"],
    ['{{range .Args}}{{if eq . "-c"}}{{continue}}{{end}}{{.}}{{end}}', "shx y"],
    ["{{if .Name}}yes{{else}}no{{end}}", "yes"],
    ["{{if .E}}yes{{else if .N}}n{{else}}no{{end}}", "no"],
    ["{{with .Labels}}{{.a}}{{end}}", "1"],
    ["{{with .E}}x{{else with .Labels}}{{.b}}{{end}}", "2"],
    ["{{$x := 5}}{{$x}}", "5"],
    ["{{$x := 1}}{{$x = 2}}{{$x}}", "2"],
    ["{{with .Labels}}{{$.Name}}{{end}}", "/web"],
    ["{{- .Name -}} x", "/webx"],
    ["a  {{- .Name}}  b", "a/web  b"],
    ["{{.Name -}}\n\t b", "/webb"],
    ["{{/* a comment */}}x", "x"],
    ['{{define "T"}}<{{.}}>{{end}}{{template "T" .Name}}', "</web>"],
    ['{{block "B" .Pid}}{{.}}{{end}}', "1.234567e+06"],
    ["{{(index .Args 2)}}", "x y"],
    ["{{.Nested.X.Y}}", "1"],
    ["{{(.Nested).X}}", "map[Y:1]"],
  ])("%s", (tmpl, want) => {
    expect(run(tmpl, doc)).toBe(want);
  });
});

describe("builtin and docker functions", () => {
  test.each([
    ["{{len .Args}} {{len .Labels}} {{len .S}}", "3 2 6"],
    ['{{index .Args 1}} {{index .Labels "a"}}', "-c 1"],
    ["{{slice .Name 1 3}} {{slice .Args 1}}", "we [-c x y]"],
    ["{{index .S 1}}", "195"],
    ['{{eq .Name "/web" "x"}} {{ne 1 2}}', "true true"],
    ['{{lt 1 2}} {{gt 1.5 2.5}} {{le "a" "a"}} {{ge 2 3}}', "true false true false"],
    ['{{and 1 0 2}} {{or 0 "" "x"}} {{and 1 2}} {{or 0 false}}', "0 x 2 false"],
    ["{{not .N}} {{not 1}}", "true false"],
    ['{{print 1 2 "a" 3 "b" "c"}}', "1 2a3bc"],
    ['{{println 1 "a"}}', "1 a\n"],
    [
      '{{printf "%-10s|%5.2f|%d|%q|%v" .Name .F 42 .Name .Labels}}',
      '/web      | 1.50|42|"/web"|map[a:1 b:2]',
    ],
    ['{{printf "%x %X %o %b %c %U" 255 255 8 5 65 65}}', "ff FF 10 101 A U+0041"],
    ['{{printf "%05d|%+d|% d|%3c|%-4d|" 42 5 7 66 3}}', "00042|+5| 7|  B|3   |"],
    [
      '{{printf "%e %E %.2e %g %G %.3g" 1234.5678 0.000012 1234.5678 100000.0 1e21 1.125}}',
      "1.234568e+03 1.200000E-05 1.23e+03 100000 1E+21 1.12",
    ],
    ['{{printf "%t %v %s" true false .Args}}', "true false [sh -c x y]"],
    ['{{printf "%d" "x"}}', "%!d(string=x)"],
    ['{{printf "%s %s" 1}}', "%!s(int=1) %!s(MISSING)"],
    ['{{printf "%s" 1 2}}', "%!s(int=1)%!(EXTRA int=2)"],
    ['{{printf "%[2]s %[1]s" "a" "b"}}', "b a"],
    ['{{printf "%*d|%.*s" 4 7 2 "abc"}}', "   7|ab"],
    ['{{printf "%T %T %T %T" 1 1.5 "s" .Labels}}', "int float64 string map[string]interface {}"],
    ['{{printf "%q" .S}} {{printf "%+q" .S}} {{printf "%x" .S}}', '"héllo" "h\\u00e9llo" 68c3a96c6c6f'],
    ['{{printf "%5.1s|" .S}}', "    h|"],
    [
      '{{html "<a&b>"}} {{js "it\'s <x>"}} {{urlquery "a b&c"}}',
      "&lt;a&amp;b&gt; it\\'s \\u003Cx\\u003E a+b%26c",
    ],
    ['{{json .Labels}} {{json .N}} {{json .Missing}} {{json "<&>"}}', '{"a":"1","b":"2"} null null "<&>"'],
    ['{{split .Name "/"}} {{join (split "a,b" ",") "-"}} {{split "ab" ""}}', "[ web] a-b [a b]"],
    ['{{upper .S}} {{lower "ÉA"}} {{title "hello wide_world-x"}}', "HÉLLO éa Hello Wide_world-X"],
    ['{{pad .Name 2 1}}| {{pad "" 2 2}}|', "  /web | |"],
    ["{{truncate .Name 2}} {{truncate .Name 10}}", "/w /web"],
    ['{{.Name | printf "%s!"}} {{"x" | printf "%s%s" "y"}}', "/web! yx"],
  ])("%s", (tmpl, want) => {
    expect(run(tmpl, doc)).toBe(want);
  });
});

describe("errors are Go's", () => {
  test.each([
    ["{{.ID", "template: :1: unclosed action"],
    ["{{.ID}", "template: :1: bad character U+007D '}'"],
    ["{{foo .}}", 'template: :1: function "foo" not defined'],
    ["{{if .Name}}", "template: :1: unexpected EOF"],
    ["{{end}}", "template: :1: unexpected {{end}}"],
    ["{{else}}", "template: :1: unexpected {{else}}"],
    ["{{.Name | 3}}", "template: :1: non executable command in pipeline stage 2"],
    ["{{}}", "template: :1: missing value for command"],
    ["{{$x}}", 'template: :1: undefined variable "$x"'],
    ["{{break}}", "template: :1: {{break}} outside {{range}}"],
    ['{{"a" "b"', "template: :1: unclosed action"],
    ['{{"abc}}', "template: :1: unterminated quoted string"],
    ["{{(.Name}}", "template: :1: unclosed left paren"],
    ["{{.Name)}}", "template: :1: unexpected right paren"],
    ["{{3x}}", 'template: :1: bad number syntax: "3x"'],
    ["{{range $a, $b, $c := .}}{{end}}", "template: :1: too many declarations in range"],
    ["x\n{{.A\n.B", "template: :3: unclosed action started at :2"],
    [
      "{{.Name.Foo}}",
      'template: :1:7: executing "" at <.Name.Foo>: can\'t evaluate field Foo in type interface {}',
    ],
    [
      "{{index .Args 5}}",
      'template: :1:2: executing "" at <index .Args 5>: error calling index: index out of range: 5',
    ],
    [
      "{{eq .Pid 0}}",
      'template: :1:2: executing "" at <eq .Pid 0>: error calling eq: incompatible types for comparison: float64 and int',
    ],
    [
      '{{join .Args ","}}',
      'template: :1:7: executing "" at <.Args>: wrong type for value; expected []string; got []interface {}',
    ],
    ["{{len 3}}", 'template: :1:2: executing "" at <len 3>: error calling len: len of type int'],
    ["{{.Name 1}}", 'template: :1:2: executing "" at <.Name>: Name is not a method but has arguments'],
    ["{{upper 1}}", 'template: :1:8: executing "" at <1>: expected string; found 1'],
    ["{{pad .Name}}", 'template: :1:2: executing "" at <pad>: wrong number of args for pad: want 3 got 1'],
    [
      "{{range .Pid}}{{end}}",
      'template: :1:8: executing "" at <.Pid>: range can\'t iterate over 1.234567e+06',
    ],
    [
      '{{template "nope"}}',
      'template: :1:11: executing "" at <{{template "nope"}}>: template "nope" not defined',
    ],
    [
      "{{lt .Labels 1}}",
      'template: :1:2: executing "" at <lt .Labels 1>: error calling lt: invalid type for comparison',
    ],
  ])("%s", (tmpl, want) => {
    expect(error(tmpl, doc)).toBe(want);
  });

  test("an execution error keeps what was written before it", () => {
    try {
      run("a{{.Name}}b{{index .Args 9}}c", doc);
      expect.unreachable();
    } catch (e) {
      expect((e as TemplateExecError).output).toBe("a/webb");
    }
  });
});

describe("typed Go values", () => {
  const reg = new GoTypeRegistry({
    "t.Outer": {
      struct: [
        ["", "*t.Inner"],
        ["Kind", "t.Kind"],
        ["Opt", "*int"],
        ["hidden", "string"],
        ["Tags", "map[string]string", "tags,omitempty", 'json:"tags,omitempty"'],
      ],
    },
    "t.Inner": {
      struct: [
        ["ID", "string", "Id", 'json:"Id"'],
        ["Count", "int64"],
      ],
    },
    "t.Kind": { type: "string" },
  });
  const outer = goJsonUnmarshal(
    parseRawJson(JSON.stringify({ Id: "x1", Count: 3, Kind: "box", Opt: 7, tags: { k: "v" } })),
    reg.named("t.Outer"),
  );
  test.each([
    ["{{.ID}} {{.Count}} {{.Kind}} {{.Opt}} {{.Tags.k}}", "x1 3 box 7 v"],
    ["{{json .}}", '{"Id":"x1","Count":3,"Kind":"box","Opt":7,"tags":{"k":"v"}}'],
    ['{{eq .Count 3}} {{eq .Kind "box"}}', "true true"],
    ['{{printf "%+v" .Inner}}', "&{ID:x1 Count:3}"],
  ])("%s", (tmpl, want) => {
    expect(run(tmpl, outer)).toBe(want);
  });
  test.each([
    [
      "{{.hidden}}",
      'template: :1:2: executing "" at <.hidden>: hidden is an unexported field of struct type t.Outer',
    ],
    ["{{.Nope}}", 'template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type t.Outer'],
    [
      "{{lower .Kind}}",
      'template: :1:8: executing "" at <.Kind>: wrong type for value; expected string; got t.Kind',
    ],
    ["{{.Tags.k 1}}", 'template: :1:7: executing "" at <.Tags.k>: k is not a method but has arguments'],
  ])("%s fails", (tmpl, want) => {
    expect(error(tmpl, outer)).toBe(want);
  });
});

// --- properties -----------------------------------------------------------------------------------

/** JSON data as docker inspect's fallback sees it (float64 numbers, string keys). */
const jsonValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x)),
    fc.integer(),
    fc.string({ unit: "grapheme" }),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(fc.string({ unit: "grapheme", maxLength: 6 }), tie("value"), { maxKeys: 4 }),
  ),
})).value;

/** Go's %v of a map[string]string: keys sorted by bytes. */
function goMapText(m: Record<string, string>): string {
  const keys = Object.keys(m).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return `map[${keys.map((k) => `${k}:${m[k]}`).join(" ")}]`;
}

describe("properties", () => {
  test("{{json .}} parses back to the data", () => {
    fc.assert(
      fc.property(jsonValue, (data) => {
        const out = run("{{json .}}", anyOf(data));
        expect(JSON.parse(out)).toEqual(JSON.parse(JSON.stringify(data)));
      }),
      { numRuns: 300 },
    );
  });

  test("a map prints as map[k:v …] with keys in byte order, a slice as [a b …]", () => {
    const text = fc.string({ unit: fc.constantFrom("a", "b", "Z", "é", "日", "1", "_", "."), maxLength: 5 });
    fc.assert(
      fc.property(fc.dictionary(text, text, { maxKeys: 6 }), fc.array(text, { maxLength: 6 }), (m, xs) => {
        const v = anyOf({ m, xs });
        expect(run("{{.m}}", v)).toBe(goMapText(m));
        expect(run("{{.xs}}", v)).toBe(`[${xs.join(" ")}]`);
        expect(run("{{range $k, $v := .m}}{{$k}}{{end}}", v)).toBe(
          goMapText(m)
            .replace(/^map\[|\]$/g, "")
            .split(" ")
            .filter(Boolean)
            .map((p) => p.slice(0, p.indexOf(":")))
            .join(""),
        );
      }),
      { numRuns: 300 },
    );
  });

  test("trim markers remove exactly the spaces, tabs and newlines next to them", () => {
    const ws = fc.string({ unit: fc.constantFrom(" ", "\t", "\n", "\r"), maxLength: 4 });
    const word = fc
      .string({ unit: fc.constantFrom("a", "b", "-", "}"), minLength: 1, maxLength: 3 })
      .filter((w) => !w.startsWith("}"));
    fc.assert(
      fc.property(word, ws, ws, word, (before, l, r, after) => {
        const t = `${before}${l}{{- .Name -}}${r}${after}`;
        expect(run(t, doc)).toBe(`${before}/web${after}`);
        expect(run(`${before}${l}{{.Name}}${r}${after}`, doc)).toBe(`${before}${l}/web${r}${after}`);
      }),
      { numRuns: 200 },
    );
  });

  test("printf %d, %x, %q and %-Ns agree with a model of Go's fmt", () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.string({ unit: fc.constantFrom("a", "b", " ", "'"), maxLength: 6 }),
        fc.nat(12),
        (n, s, w) => {
          const v = anyOf({ s });
          expect(run(`{{printf "%d|%x" ${n} ${n}}}`, v)).toBe(
            `${n}|${n < 0 ? "-" : ""}${Math.abs(n).toString(16)}`,
          );
          expect(run(`{{printf "%-${w}s|" .s}}`, v)).toBe(`${s.padEnd(w)}|`);
          expect(run(`{{printf "%${w}s|" .s}}`, v)).toBe(`${s.padStart(w)}|`);
          expect(run(`{{printf "%q" .s}}`, v)).toBe(JSON.stringify(s));
        },
      ),
      { numRuns: 300 },
    );
  });

  test("parsing never throws anything but a TemplateParseError", () => {
    const piece = fc.constantFrom(
      "{{",
      "}}",
      "{{-",
      "-}}",
      ".",
      ".Name",
      " ",
      "|",
      "(",
      ")",
      "$x",
      ":=",
      "=",
      '"',
      "`",
      "'a'",
      "if",
      "else",
      "end",
      "range",
      "with",
      "1",
      "-1.5e3",
      "json",
      "nil",
      "true",
      "\n",
      "/*",
      "*/",
      ",",
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
        try {
          parseGoTemplate(pieces.join(""), DOCKER_FUNCS);
        } catch (e) {
          expect(e).toBeInstanceOf(TemplateParseError);
          expect((e as Error).message).toMatch(/^template: :\d+: /);
        }
      }),
      { numRuns: 500 },
    );
  });
});
