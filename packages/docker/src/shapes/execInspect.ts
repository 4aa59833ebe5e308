/**
 * `docker exec inspect` / `GET /exec/{id}/json` in moby's shape (api/types/backend `ExecInspect`, its
 * field order): what the engine records of the instance (its command, whether it runs, its exit code,
 * null until it ended, its host PID once started, its container). What the model does not record of an
 * exec's options (TTY, user, privileged, which streams were attached, detach keys) is shown as
 * dockerd shows an exec created without them; docs/docker-api.md lists it.
 */
import type { ExecView } from "@strata/core";

export function execInspect(view: ExecView): Record<string, unknown> {
  return {
    ID: view.ID,
    Running: view.Running,
    ExitCode: view.ExitCode,
    ProcessConfig: {
      tty: false,
      entrypoint: view.ProcessConfig.entrypoint,
      arguments: [...view.ProcessConfig.arguments],
      privileged: false,
    },
    OpenStdin: false,
    OpenStderr: false,
    OpenStdout: false,
    CanRemove: false,
    ContainerID: view.ContainerID,
    DetachKeys: "",
    Pid: view.Pid,
  };
}
