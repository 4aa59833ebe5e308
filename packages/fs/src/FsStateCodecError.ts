/**
 * The fs state codec refused something: a snapshot that is not a valid encoding (`decodeFsState`,
 * naming the JSON path where it is wrong), or a state holding a value JSON cannot carry
 * (`encodeFsState`, naming the path in the state).
 */
import { StrataError } from "@strata/core";

export type FsStateCodecProblem = "fs-snapshot-invalid" | "fs-state-unencodable";

export class FsStateCodecError extends StrataError {
  /** Where: a JSON path (`$.objects[12].data.mode`) when decoding, a state path when encoding. */
  readonly path: string;
  /** What is wrong there. */
  readonly problem: string;
  constructor(reason: FsStateCodecProblem, path: string, problem: string) {
    const what = reason === "fs-snapshot-invalid" ? "fs snapshot" : "fs state";
    super("System", 500, reason, `${what}: ${path}: ${problem}`);
    this.path = path;
    this.problem = problem;
  }
}
