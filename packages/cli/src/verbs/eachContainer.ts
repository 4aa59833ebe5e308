/**
 * How docker/cli runs a verb over several containers (`stop a b c`): each in turn; a success prints the
 * name as given, a failure is kept; at the end the failures are printed, one a line, and the command
 * ends with exit code 1 if there was any.
 */
import { CommandError, type Context } from "../CommandSpec.js";
import { DaemonError } from "../client/DockerClient.js";

/** What docker prints for a failure: the daemon's refusal with its prefix, anything else as it is. */
export function failureText(e: unknown): string {
  if (e instanceof DaemonError) return `Error response from daemon: ${e.message}`;
  if (e instanceof Error) return e.message;
  return String(e);
}

export async function eachContainer(
  ctx: Context,
  refs: readonly string[],
  act: (ref: string) => Promise<void>,
  /** `notFatal`: a failure only said on stderr as it happens (`rm -f` of a missing container). */
  options: { notFatal?: (e: unknown) => boolean; print?: boolean } = {},
): Promise<{ failed: string[]; errors: string[] }> {
  const failed: string[] = [];
  const errors: string[] = [];
  for (const ref of refs) {
    try {
      await act(ref);
      if (options.print !== false) ctx.out.line(ref);
    } catch (e) {
      if (options.notFatal?.(e)) {
        ctx.out.error(failureText(e));
        continue;
      }
      if (!(e instanceof DaemonError) && !(e instanceof RefError)) throw e;
      failed.push(ref);
      errors.push(failureText(e));
    }
  }
  return { failed, errors };
}

/** A problem with one argument found by the client itself (`container name cannot be empty`). */
export class RefError extends CommandError {}

/**
 * A container argument as docker's API client sends it (moby `client/utils.go` trimID): without the
 * spaces around it; one that is only spaces is refused before any request.
 */
export function containerRef(given: string): string {
  const ref = goTrimSpace(given);
  if (ref === "") throw new RefError("invalid container name or ID: value is empty");
  return ref;
}

/** Prints the failures (one a line) and answers the exit code. */
export function report(ctx: Context, errors: readonly string[]): number {
  if (errors.length === 0) return 0;
  ctx.out.error(errors.join("\n"));
  return 1;
}

/** Go's strings.TrimSpace: Unicode's White_Space (U+0085 included, U+FEFF not, unlike String.trim). */
export function goTrimSpace(s: string): string {
  return s.replace(GO_SPACE_EDGES, "");
}

const GO_SPACE = "\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const GO_SPACE_EDGES = new RegExp(`^[${GO_SPACE}]+|[${GO_SPACE}]+$`, "g");
