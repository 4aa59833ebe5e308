/**
 * Taking a connection over, as dockerd does for attach and exec start (moby api/server/router/container
 * `postContainersAttach`, `postContainerExecStart`): after the request, the connection is a raw byte
 * stream both ways, opened by `HTTP/1.1 101 UPGRADED` when the client asked to upgrade (the docker
 * CLI), with no chunking and no length; the stream ends when the server ends the connection. A client
 * that half-closes (it has no stdin to send) still reads to the end: the socket is never ended because
 * the client's side ended (Node's HTTP sockets allow half-open connections).
 *
 * A request that did not ask to upgrade (dockerode's default) gets a plain `200` whose chunked body is
 * the stream: what dockerode reads either way.
 */
import type { ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Upgraded } from "./router.js";
import { DockerApiError } from "./shapes/errors.js";

/** The media types of a stream: framed (stdout and stderr told apart) when there is no TTY, raw with one. */
export const MULTIPLEXED_STREAM = "application/vnd.docker.multiplexed-stream";
export const RAW_STREAM = "application/vnd.docker.raw-stream";

/** One side of a taken-over connection: bytes out, and its end. */
export interface OutputStream {
  write(bytes: Buffer): void;
  /** Ends the stream (the client reads EOF); idempotent. */
  end(): void;
  /**
   * Calls `listener` once if the client goes away before the end: at once when it already has (it may
   * leave while the handler awaits the engine, before it asks).
   */
  onGone(listener: () => void): void;
}

/**
 * Answers the request with a stream of type `contentType`: on an upgraded connection, `101 UPGRADED`
 * written raw (with the server's headers when `withHeaders`, as exec start copies them and attach does
 * not); otherwise a `200` with a chunked body.
 */
export function hijack(
  res: ServerResponse,
  upgraded: Upgraded | null,
  contentType: string,
  options: { readonly withHeaders: boolean },
): OutputStream {
  if (upgraded === null) {
    res.writeHead(200, { "Content-Type": RAW_STREAM });
    res.flushHeaders();
    return {
      write: (bytes) => void res.write(bytes),
      end: () => void res.end(),
      onGone: (listener) => responseGone(res, listener),
    };
  }
  const socket = upgraded.socket;
  const headers = options.withHeaders
    ? Object.entries(res.getHeaders())
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => `${canonicalHeader(k)}: ${String(v)}\r\n`)
        .join("")
    : "";
  res.detachSocket(socket as Socket);
  socket.write(
    `HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n${headers}\r\n`,
  );
  let ended = false;
  return {
    write: (bytes) => {
      if (!ended && socket.writable) socket.write(bytes);
    },
    end: () => {
      if (ended) return;
      ended = true;
      socket.end(() => socket.destroy());
    },
    onGone: (listener) => {
      if (socket.destroyed) {
        if (!ended) listener();
        return;
      }
      socket.once("close", () => {
        if (!ended) listener();
      });
    },
  };
}

/** Calls `listener` once if the client of `res` goes away before `res` finished (at once if it has). */
export function responseGone(res: ServerResponse, listener: () => void): void {
  if (res.closed) {
    if (!res.writableFinished) listener();
    return;
  }
  res.once("close", () => {
    if (!res.writableFinished) listener();
  });
}

/** `api-version` → `Api-Version`, as Go's http.Header writes names. */
function canonicalHeader(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase());
}

/** One frame of the multiplexed stream (moby pkg/stdcopy): type (1 stdout, 2 stderr), 0 0 0, length. */
export function streamFrame(stream: 1 | 2, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/**
 * The body of an upgraded request: Node does not read it (the parser stops at the headers), so its
 * `Content-Length` bytes are read from what came with the headers and then the socket. What follows is
 * the client's stdin, which no process reads here. A client that ends first is 400 `unexpected EOF`;
 * one that sends nothing for `idleMs` is 408.
 */
export function upgradedBody(
  upgraded: Upgraded,
  length: number,
  limit: number,
  idleMs: number,
): Promise<Buffer> {
  if (length > limit) throw new DockerApiError(413, `request body is larger than ${limit} bytes`);
  const { socket, head } = upgraded;
  if (head.length >= length) return Promise.resolve(head.subarray(0, length));
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [head];
    let size = head.length;
    const onData = (chunk: Buffer) => {
      parts.push(chunk);
      size += chunk.length;
      if (size < length) return;
      done();
      resolve(Buffer.concat(parts).subarray(0, length));
    };
    const onEnd = () => {
      done();
      reject(new DockerApiError(400, "unexpected EOF"));
    };
    const onIdle = () => {
      done();
      reject(new DockerApiError(408, `the request body stopped arriving (nothing for ${idleMs} ms)`));
    };
    const timed = socket as Partial<Socket>;
    const done = () => {
      socket.off("data", onData);
      socket.off("end", onEnd);
      socket.off("close", onEnd);
      socket.off("timeout", onIdle);
      timed.setTimeout?.(0);
    };
    socket.on("data", onData);
    socket.once("end", onEnd);
    socket.once("close", onEnd);
    socket.once("timeout", onIdle);
    timed.setTimeout?.(idleMs);
  });
}

/** Reads and discards whatever the client sends on a taken-over connection (stdin nobody reads). */
export function drain(upgraded: Upgraded | null): void {
  upgraded?.socket.on("data", () => {});
}
