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
  options: { ignore?: (e: unknown) => boolean; print?: boolean } = {},
): Promise<{ failed: string[]; errors: string[] }> {
  const failed: string[] = [];
  const errors: string[] = [];
  for (const ref of refs) {
    try {
      await act(ref);
      if (options.print !== false) ctx.out.line(ref);
    } catch (e) {
      if (options.ignore?.(e)) continue;
      if (!(e instanceof DaemonError) && !(e instanceof RefError)) throw e;
      failed.push(ref);
      errors.push(failureText(e));
    }
  }
  return { failed, errors };
}

/** A problem with one argument found by the client itself (`container name cannot be empty`). */
export class RefError extends CommandError {}

/** Prints the failures (one a line) and answers the exit code. */
export function report(ctx: Context, errors: readonly string[]): number {
  if (errors.length === 0) return 0;
  ctx.out.error(errors.join("\n"));
  return 1;
}
