/** The archive is not a well-formed tar: what is wrong, at which byte, in which entry. */
export class TarFormatError extends Error {
  readonly offset: number;
  /** What is wrong, without the byte offset. */
  readonly problem: string;
  /** The entry being read: its index (from 0) and, once its header was read, its name (as text safe to print). */
  entry: { readonly index: number; readonly name?: string } | undefined;
  /** Whether the archive ended too early (it was cut short): `problem` says where, not that. */
  readonly truncated: boolean;
  /** The limit an entry's extended headers went over (the archive may be well-formed), if that is what is wrong. */
  limit: number | undefined;
  constructor(problem: string, offset: number, truncated = false) {
    super(`${problem} (at byte ${offset})`);
    this.problem = problem;
    this.offset = offset;
    this.truncated = truncated;
  }
}
