/**
 * File content is stored exactly as sent, or refused: text that has no UTF-8 bytes (a lone surrogate)
 * and base64 that is not base64 are never turned silently into other bytes.
 */
import { type Command, parseCommand, sequentialIds, simulatedClock } from "@strata/core";
import { createFsEngine } from "@strata/fs";
import fc from "fast-check";
import { describe, expect, test } from "vitest";

function container() {
  const e = createFsEngine({ clock: simulatedClock(), ids: sequentialIds("bytes") });
  const run = (c: Command) => {
    const r = e.execute(c);
    if (!r.ok) throw r.error;
    return r;
  };
  const layerId = `sha256:${"a".repeat(64)}`;
  run({ type: "layer.create", layerId, entries: [] });
  run({ type: "image.create", layers: [{ id: layerId, parent: null }], tags: ["base:1"] });
  run({ type: "container.create", image: "base:1", name: "web" });
  return e;
}

describe("content bytes", () => {
  test("property: text content is accepted exactly when it is well-formed, and then read back byte for byte", () => {
    const e = container();
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (text) => {
        const wellFormed = !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(
          text,
        );
        let command: Command;
        try {
          command = parseCommand(
            { type: "fs.writeFile", container: "web", path: "/f", content: text },
            "test",
          );
        } catch (error) {
          expect(wellFormed).toBe(false);
          expect((error as Error).message).toMatch(/lone surrogate/);
          return;
        }
        expect(wellFormed).toBe(true);
        const r = e.execute(command);
        expect(r.ok).toBe(true);
        expect(Buffer.from(e.view("web").readFile("/f")).equals(Buffer.from(text, "utf8"))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  test("property: base64 content is decoded exactly, and anything that is not base64 is refused", () => {
    const e = container();
    fc.assert(
      fc.property(
        fc.oneof(
          fc
            .uint8Array({ maxLength: 64 })
            .map((b) => ({ text: Buffer.from(b).toString("base64"), bytes: b })),
          fc.string({ maxLength: 20 }).map((text) => ({ text, bytes: null })),
        ),
        ({ text, bytes }) => {
          const r = e.execute({
            type: "fs.writeFile",
            container: "web",
            path: "/b",
            content: text,
            encoding: "base64",
          });
          const canonical =
            bytes !== null ||
            Buffer.from(Buffer.from(text, "base64").toString("base64")).equals(Buffer.from(text));
          if (!r.ok) {
            expect(canonical && text.length % 4 === 0).toBe(false);
            expect(r.error.message).toMatch(/not base64/);
            return;
          }
          const read = Buffer.from(e.view("web").readFile("/b"));
          expect(read.equals(Buffer.from(text, "base64"))).toBe(true);
          if (bytes !== null) expect(read.equals(Buffer.from(bytes))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});
