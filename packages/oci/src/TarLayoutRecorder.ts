/**
 * Records a tar's layout (tarLayout.ts) as an import reads it: it sees every chunk of the tar as the
 * parser is given it, and is told where each stored file's content lies; every other byte is kept as
 * it was, file contents as their digests. It holds only what the parser has not passed yet (and a file's
 * bytes not at all), and hands the rest to a {@link TarLayoutWriter} as soon as it knows what it is.
 */
import type { TarLayoutWriter } from "./tarLayout.js";

export class TarLayoutRecorder {
  readonly #writer: TarLayoutWriter;
  /** Chunks not yet handled, the first starting at `#chunkStart`. */
  readonly #chunks: Buffer[] = [];
  #chunkStart = 0;
  /** Bytes handled: written as raw bytes or skipped as a file's content. */
  #done = 0;
  /** Bytes given. */
  #given = 0;
  /** Bytes the parser has taken: everything before is known for what it is. */
  #taken = 0;
  /** The stored file whose content is being read. */
  #file: { start: number; end: number; digest?: string } | undefined;

  constructor(writer: TarLayoutWriter) {
    this.#writer = writer;
  }

  /** The next chunk of the tar, given when the parser has taken `taken` bytes before it. */
  chunk(bytes: Buffer, taken: number): void {
    this.#advance(taken);
    this.#chunks.push(bytes);
    this.#given += bytes.length;
  }

  /** A stored file's content lies at `[offset, offset + size)` (told once its header was read). */
  fileStart(offset: number, size: number): void {
    this.#advance(offset);
    if (this.#file !== undefined) throw new Error("tar layout: a file starts before the last was stored");
    this.#file = { start: offset, end: offset + size };
  }

  /** That file's content is stored under `digest`. */
  fileStored(digest: string): void {
    if (this.#file === undefined) throw new Error("tar layout: no file is being read");
    this.#file.digest = digest;
    this.#advance(this.#taken);
  }

  /** The tar ended after `size` bytes: the rest is written. */
  end(size: number): void {
    this.#advance(size);
    if (this.#done !== this.#given || this.#file !== undefined)
      throw new Error(
        `tar layout: the tar ended at ${size} bytes with ${this.#given - this.#done} not handled`,
      );
  }

  /** Handles what lies before `upTo`: a file's content as its record, anything else as raw bytes. */
  #advance(upTo: number): void {
    if (upTo > this.#taken) this.#taken = upTo;
    const to = Math.min(upTo, this.#given);
    while (this.#done < to) {
      const file = this.#file;
      if (file !== undefined && this.#done >= file.start) {
        const end = Math.min(to, file.end);
        this.#drop(end - this.#done, false);
        if (this.#done < file.end) return;
        if (file.digest === undefined) return; // written when its digest is known
        this.#writer.file(file.digest, file.end - file.start);
        this.#file = undefined;
        continue;
      }
      const limit = file === undefined ? to : Math.min(to, file.start);
      this.#drop(limit - this.#done, true);
    }
    const file = this.#file;
    if (file?.digest !== undefined && this.#done === file.end) {
      this.#writer.file(file.digest, file.end - file.start);
      this.#file = undefined;
    }
  }

  /** Takes the next `n` bytes of the chunks: written as raw bytes, or skipped. */
  #drop(n: number, write: boolean): void {
    let rest = n;
    while (rest > 0) {
      const first = this.#chunks[0] as Buffer;
      const from = this.#done - this.#chunkStart;
      const take = Math.min(rest, first.length - from);
      if (write) this.#writer.raw(first.subarray(from, from + take));
      this.#done += take;
      rest -= take;
      if (from + take === first.length) {
        this.#chunks.shift();
        this.#chunkStart += first.length;
      }
    }
  }
}
