/**
 * What the OCI runtime sees of a container and core cannot: its files. A projection that folds the
 * containers' filesystems (the fs package's) provides it, and `decide` asks it when a start happens,
 * so a program the root does not have fails the start as runc fails it (127/126/128, docs/lifecycle.md
 * "start"). Without one, every program runs (the container's injected `startError` aside).
 */
import type { ProgramLookup } from "../machines/containerCommands.js";

export interface ContainerRuntime {
  /**
   * runc's `exec.LookPath` of container `containerId`'s program (entrypoint and cmd's first word), in
   * the container's root with its `PATH`, working directory and user: null when it can run it, else
   * runc's error text (`exec: "/x": stat /x: no such file or directory`). Pure: the same states give the
   * same answer.
   */
  lookPath(containerId: string): string | null;
}

/** The machine input's `lookPath` for container `id` (asked only when a start happens). */
export function lookPathOf(runtime: ContainerRuntime | undefined, id: string): { lookPath?: ProgramLookup } {
  return runtime ? { lookPath: () => runtime.lookPath(id) } : {};
}
