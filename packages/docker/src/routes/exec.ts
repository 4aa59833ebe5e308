/**
 * Processes, as far as a Docker client sees them (moby api/server/router/container exec.go and
 * `postContainersAttach`, `getContainersLogs`): exec create, start, inspect and resize; attach; logs.
 * Nothing runs, so no process prints anything: every stream is empty, and it ends when the process it
 * follows ends (an exec's process, or the container's PID 1 for attach and `logs -f`), which the engine
 * records. Which programs end at once, and with what status, is programExit.ts's rule; the
 * ProgramRuntime started here reports those ends for PID 1 (an exec is created with its end).
 *
 * Attach and an attached exec start take the connection over (`101 UPGRADED`, then raw frames) once
 * every check passed, as dockerd does: a refusal before is a plain HTTP error, a refusal of the start
 * itself is written into the stream, as dockerd writes it.
 */
import type { ServerResponse } from "node:http";
import {
  type Command,
  decide,
  type EngineState,
  type EventEnvelope,
  findContainer,
  inspectExec,
  NotFoundError,
  startWait,
} from "@strata/core";
import { checkExecUser } from "../containerUser.js";
import type { DockerRequest } from "../DockerRequest.js";
import { MAX_JSON_BYTES } from "../DockerRequest.js";
import { detachKeyBytes } from "../detachKeys.js";
import {
  drain,
  hijack,
  MULTIPLEXED_STREAM,
  type OutputStream,
  responseGone,
  streamFrame,
  upgradedBody,
} from "../hijack.js";
import { GoFields, parseJsonBody } from "../jsonBody.js";
import { ProgramRuntime } from "../ProgramRuntime.js";
import { programExitCode } from "../programExit.js";
import { sendEmpty, sendJson } from "../respond.js";
import { type Route, type RouteContext, route } from "../router.js";
import { DockerApiError } from "../shapes/errors.js";
import { execInspect } from "../shapes/execInspect.js";

/** Go's `strconv` errors for a bad uint32 (moby `httputils.Uint32Value`). */
function uint32Error(value: string): string | null {
  const [digits, negative] = value.startsWith("-") ? [value.slice(1), true] : [value, false];
  if (digits === "" || !/^[0-9]+$/.test(digits)) return "invalid syntax";
  if (negative || Number(digits) > 0xffffffff) return "value out of range";
  return null;
}

export function execRoutes(server: RouteContext): Route[] {
  const engine = server.backend.engine;
  const runtime = new ProgramRuntime(engine);
  // A read-only engine reports nothing: the ends it would report are a writer's to report.
  if (!engine.readOnly) runtime.start();
  server.onClose(() => runtime.stop());

  /** Runs a command; a refusal is thrown (the server answers with its status and message). */
  const run = async (command: Command) => {
    const r = await engine.execute(command);
    if (!r.ok) throw r.error;
    return r;
  };

  /** The request's JSON body: read from the connection when it was taken over (Node leaves it unread). */
  const json = async (req: DockerRequest): Promise<unknown> => {
    const upgraded = server.upgraded(req.raw);
    if (upgraded === null) return req.json();
    const length = Number(req.raw.headers["content-length"] ?? 0);
    if (!Number.isSafeInteger(length) || length <= 0) return undefined;
    return parseJsonBody(
      await upgradedBody(upgraded, length, MAX_JSON_BYTES, server.bodyIdleMs),
      req.raw.headers["content-type"],
    );
  };

  /**
   * dockerd's `getExecConfig`: the instance (404 `No such exec instance`), in a container that runs and
   * is neither paused nor restarting (409, in the engine's words). Whether the instance may start is
   * left to the start.
   */
  const execConfig = (state: EngineState, id: string) => {
    const view = inspectExec(state, id);
    const r = decide(state, { type: "exec.start", exec: id }, engine.clock.now());
    if (!r.ok && r.error.reason !== "exec-already-ran" && r.error.reason !== "exec-running") throw r.error;
    return view;
  };

  /** Calls `done` once, after the first batch of events (or now) for which `ended` holds. */
  const whenEnded = (
    ended: (events: readonly EventEnvelope[]) => boolean,
    done: () => void,
  ): (() => void) => {
    let off: (() => void) | null = null;
    const stop = () => {
      off?.();
      off = null;
    };
    off = engine.onEvents((events) => {
      if (!ended(events)) return;
      stop();
      done();
    });
    return stop;
  };

  /** Keeps `stream` open until the container's next exit (or its removal), then ends it. */
  const untilNextExit = (containerId: string, stream: OutputStream) => {
    const wait = startWait(engine.state, containerId, "next-exit");
    if ("done" in wait) return stream.end();
    const stop = whenEnded(
      (events) => events.some((e) => wait.watch(e) !== null),
      () => stream.end(),
    );
    stream.onGone(stop);
  };

  /** Answers a refused attach as dockerd does: the status and the message as text, after the headers. */
  const attachRefused = (res: ServerResponse, error: unknown) => {
    const status = (error as { status?: number }).status ?? 500;
    res.writeHead(status, { "Content-Type": "application/vnd.docker.raw-stream" });
    res.end(`${(error as Error).message}\r\n`);
  };

  return [
    route("POST", "/containers/{id}/exec", async (req, res) => {
      const body = new GoFields(await req.json(), "ExecOptions");
      const cmd = body.strings("Cmd");
      const user = body.string("User");
      const keys = body.string("DetachKeys");
      for (const field of ["Privileged", "Tty", "AttachStdin", "AttachStdout", "AttachStderr", "Detach"])
        body.bool(field);
      body.strings("Env");
      body.string("WorkingDir");
      if (cmd.length === 0) throw new DockerApiError(400, "No exec command specified");
      const ref = req.param("id");
      await engine.catchUp();
      const record = findContainer(engine.state, ref);
      // The container's state is the engine's to refuse (404, 409); a running one is asked about the user.
      if (record?.status === "running" && user !== "") checkExecUser(engine.view(record.context.id), user);
      if (record?.status === "running" && keys !== "" && detachKeyBytes(keys) === null)
        throw new DockerApiError(500, `Invalid escape keys (${keys}) provided`);
      const exitCode = programExitCode(cmd);
      const r = await run({
        type: "container.execCreate",
        container: ref,
        cmd,
        ...(exitCode === null ? {} : { exitCode }),
      });
      const created = r.events.find((e) => e.type === "container.execCreated");
      sendJson(res, 201, { Id: (created?.data as { execId?: string } | undefined)?.execId ?? "" });
    }),

    route("POST", "/exec/{id}/start", async (req, res) => {
      const upgraded = server.upgraded(req.raw);
      const body = new GoFields(await json(req), "ExecStartOptions");
      const detach = body.bool("Detach");
      const tty = body.bool("Tty");
      const id = req.param("id");
      await engine.catchUp();
      execConfig(engine.state, id);
      if (detach) {
        await run({ type: "exec.start", exec: id });
        return sendEmpty(res, 200);
      }
      if (upgraded === null) server.holdOpen(res);
      const stream = hijack(res, upgraded, tty ? "application/vnd.docker.raw-stream" : MULTIPLEXED_STREAM, {
        withHeaders: true,
      });
      drain(upgraded);
      // The client may leave while the start is recorded: then nothing follows the process.
      let gone = false;
      let stopFollowing = () => {};
      stream.onGone(() => {
        gone = true;
        stopFollowing();
      });
      const r = await engine.execute({ type: "exec.start", exec: id });
      if (gone) return;
      if (!r.ok) {
        // dockerd writes a refused start into the stream, on stdout.
        const text = Buffer.from(`${r.error.message}\r\n`);
        stream.write(tty ? text : streamFrame(1, text));
        return stream.end();
      }
      // The stream ends once the engine recorded the end (so the client's inspect sees the exit code).
      const ended = () => {
        const x = engine.state.containers[inspectExecOwner(engine.state, id) ?? ""]?.context.execs.find(
          (e) => e.execId === id,
        );
        return x === undefined || !x.running;
      };
      if (ended()) return stream.end();
      stopFollowing = whenEnded(ended, () => stream.end());
    }),

    route("GET", "/exec/{id}/json", async (req, res) => {
      await engine.catchUp();
      sendJson(res, 200, execInspect(inspectExec(engine.state, req.param("id"))));
    }),

    route("POST", "/exec/{id}/resize", async (req, res) => {
      for (const [dim, name] of [
        ["h", "height"],
        ["w", "width"],
      ] as const) {
        const value = req.string(dim) ?? "";
        const error = uint32Error(value);
        if (error) throw new DockerApiError(400, `invalid resize ${name} ${JSON.stringify(value)}: ${error}`);
      }
      await engine.catchUp();
      const view = execConfig(engine.state, req.param("id"));
      if (view.Pid === 0) throw new DockerApiError(500, "timeout waiting for exec session ready");
      sendEmpty(res, 200);
    }),

    route("POST", "/containers/{id}/attach", async (req, res) => {
      const upgraded = server.upgraded(req.raw);
      const ref = req.param("id");
      try {
        const keys = req.string("detachKeys") ?? "";
        if (keys !== "" && detachKeyBytes(keys) === null)
          throw new DockerApiError(400, `Invalid detach keys (${keys}) provided`);
        await engine.catchUp();
        const record = findContainer(engine.state, ref);
        if (!record) throw new NotFoundError("no-such-container", `No such container: ${ref}`);
        if (record.status === "paused")
          throw new DockerApiError(409, `container ${ref} is paused, unpause the container before attach`);
        if (record.status === "restarting")
          throw new DockerApiError(
            409,
            `container ${ref} is restarting, wait until the container is running`,
          );
      } catch (e) {
        return attachRefused(res, e);
      }
      const id = findContainer(engine.state, ref)?.context.id as string;
      if (upgraded === null) server.holdOpen(res);
      const stream = hijack(res, upgraded, MULTIPLEXED_STREAM, { withHeaders: false });
      drain(upgraded);
      // `logs=1` replays the log first: it is empty. `stream=1` follows the container until it exits.
      if (!req.bool("stream")) return stream.end();
      untilNextExit(id, stream);
    }),

    route("GET", "/containers/{id}/logs", async (req, res) => {
      if (!req.bool("stdout") && !req.bool("stderr"))
        throw new DockerApiError(400, "Bad parameters: you must choose at least one stream");
      const ref = req.param("id");
      await engine.catchUp();
      const record = findContainer(engine.state, ref);
      if (!record) throw new NotFoundError("no-such-container", `No such container: ${ref}`);
      if (record.status === "removing" || record.status === "dead")
        throw new DockerApiError(409, "can not get logs from container which is dead or marked for removal");
      res.writeHead(200, { "Content-Type": MULTIPLEXED_STREAM });
      res.flushHeaders();
      // Nothing was ever printed: the log is empty. With `follow`, it stays open while the container runs.
      const live = record.status === "running" || record.status === "paused";
      if (!req.bool("follow") || !live) return void res.end();
      server.holdOpen(res);
      const stream: OutputStream = {
        write: (bytes) => void res.write(bytes),
        end: () => void res.end(),
        onGone: (listener) => responseGone(res, listener),
      };
      untilNextExit(record.context.id, stream);
    }),
  ];
}

/** The id of the container holding exec instance `execId`, if any still does. */
function inspectExecOwner(state: EngineState, execId: string): string | undefined {
  for (const record of Object.values(state.containers))
    if (record.context.execs.some((e) => e.execId === execId)) return record.context.id;
  return undefined;
}
