/**
 * A queue of bytes from an async source, read in exact amounts (a tar header, a padding) or in pieces
 * as they come (an entry's data); `offset` counts what was taken, for error messages.
 */
export class ByteQueue {
  readonly #it: AsyncIterator<Uint8Array>;
  #chunks: Buffer[] = [];
  #length = 0;
  #done = false;
  offset = 0;
  constructor(source: AsyncIterable<Uint8Array>) {
    this.#it = source[Symbol.asyncIterator]();
  }
  /** Bytes buffered and not yet taken. */
  get buffered(): number {
    return this.#length;
  }
  /** Waits until `n` bytes are buffered; false when the source ends first. */
  async fill(n: number): Promise<boolean> {
    while (this.#length < n && !this.#done) {
      const next = await this.#it.next();
      if (next.done) this.#done = true;
      else if (next.value.length > 0) {
        const b = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
        this.#chunks.push(b);
        this.#length += b.length;
      }
    }
    return this.#length >= n;
  }
  /** Exactly `n` bytes (they must be buffered). */
  take(n: number): Buffer {
    const out =
      n <= (this.#chunks[0]?.length ?? 0)
        ? (this.#chunks[0] as Buffer).subarray(0, n)
        : Buffer.concat(this.#chunks).subarray(0, n);
    this.drop(n);
    return out;
  }
  /** Up to `n` bytes from what is buffered (at least one byte must be). */
  takeSome(n: number): Buffer {
    const first = this.#chunks[0] as Buffer;
    const out = first.subarray(0, Math.min(n, first.length));
    this.drop(out.length);
    return Buffer.from(out);
  }
  drop(n: number): void {
    let rest = n;
    this.offset += n;
    this.#length -= n;
    while (rest > 0) {
      const first = this.#chunks[0] as Buffer;
      if (first.length <= rest) {
        rest -= first.length;
        this.#chunks.shift();
      } else {
        this.#chunks[0] = first.subarray(rest);
        rest = 0;
      }
    }
  }
  /** Reads the source to its end, discarding (a caller may be hashing the whole stream). */
  async drain(): Promise<void> {
    this.drop(this.#length);
    while (!this.#done) {
      const next = await this.#it.next();
      if (next.done) this.#done = true;
      else this.offset += next.value.length;
    }
  }
  async close(): Promise<void> {
    await this.#it.return?.();
  }
}
