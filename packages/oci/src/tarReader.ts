/**
 * A streaming tar reader: the entries of a tar from an async source, each with its data as a stream
 * (a large file never sits in memory). It runs {@link TarParser} over the source's chunks; see there
 * for what it reads and how malformed input is reported ({@link TarFormatError}).
 */
import { type TarEntryHeader, TarParser } from "./TarParser.js";

export { TarFormatError } from "./TarFormatError.js";
export type { TarEntryHeader, TarEntryType } from "./TarParser.js";
export { MAX_EXTENDED_HEADER_BYTES, showBytes } from "./TarParser.js";

export interface TarEntry {
  /** Its position among the archive's entries, from 0 (extended headers are not entries). */
  readonly index: number;
  /** The byte offset of its data in the archive. */
  readonly offset: number;
  readonly header: TarEntryHeader;
  /** The entry's content, streamed; whatever is not read is skipped before the next entry. */
  readonly body: AsyncIterable<Buffer>;
}

const NO_BODY: AsyncIterable<Buffer> = {
  [Symbol.asyncIterator]: () => ({ next: async () => ({ done: true, value: undefined }) }),
};

/**
 * Feeds `parser` from `source`: `more()` gives it the next chunk (or tells it the source ended).
 * `drain()` reads the source to its end (whoever hashes the stream sees all of it).
 */
export function feed(
  parser: TarParser,
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): { more(): Promise<void>; drain(): Promise<void>; close(): Promise<void> } {
  const it: AsyncIterator<Uint8Array> | Iterator<Uint8Array> =
    Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  const more = async () => {
    const next = await it.next();
    if (next.done) parser.end();
    else parser.push(next.value);
  };
  return {
    more,
    async drain() {
      while (!parser.ended) await more();
    },
    async close() {
      await it.return?.();
    },
  };
}

/** The entries of a tar, in order. Consume (or leave) each body before asking for the next entry. */
export async function* readTar(source: AsyncIterable<Uint8Array>): AsyncGenerator<TarEntry> {
  const parser = new TarParser();
  const input = feed(parser, source);
  async function* body(): AsyncGenerator<Buffer> {
    for (;;) {
      const chunk = parser.bodyChunk();
      if (chunk === undefined) await input.more();
      else if (chunk.length === 0) return;
      else yield Buffer.from(chunk);
    }
  }
  try {
    for (;;) {
      const step = parser.next();
      if (step === "more") await input.more();
      else if (step === "end") {
        // The end: the rest (the second zero block, padding to a record) is read too, so that
        // whoever hashes the stream (the DiffID check) sees all of it.
        await input.drain();
        return;
      } else yield { ...step, body: step.header.size === 0 ? NO_BODY : body() };
    }
  } finally {
    await input.close();
  }
}
