/**
 * A read-only view of a file log that other processes may be writing: `strata events --follow`, audit
 * tools, a second process tailing the log. It is a `FileEventLog` opened `readOnly`: it takes no lock,
 * creates nothing and never writes a byte; it checks every record as a writer does, stops before a batch
 * that is not all written yet (and looks again at the next `refresh`), and reports damage anywhere else,
 * or a segment that became shorter than what it read, as a `CorruptLogError`.
 */
import { FileEventLog, type FileEventLogOptions } from "./FileEventLog.js";

export type FileEventLogReaderOptions = Pick<FileEventLogOptions, "pollMs">;

/** A file log opened to read only. */
export type FileEventLogReader = FileEventLog;

export const FileEventLogReader = {
  /** Opens the log in `dir` to read only; a missing `dir` is `LogNotFoundError`. */
  open(dir: string, options: FileEventLogReaderOptions = {}): Promise<FileEventLog> {
    return FileEventLog.open(dir, { ...options, readOnly: true });
  },
};
