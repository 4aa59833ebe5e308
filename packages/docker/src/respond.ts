/**
 * Writing responses as dockerd does: JSON with `Content-Type: application/json` exactly (the Go client
 * reads an error body as JSON only then), one document and a newline; empty successes with their status;
 * errors as `{"message": …}`, except a 304, which has no body.
 */
import type { ServerResponse } from "node:http";
import { dockerError } from "./shapes/errors.js";

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = `${JSON.stringify(value)}\n`;
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

export function sendEmpty(res: ServerResponse, status: number): void {
  res.writeHead(status, { "Content-Length": 0 });
  res.end();
}

export function sendError(res: ServerResponse, error: unknown): void {
  const { status, message } = dockerError(error);
  if (res.headersSent) {
    // A stream already under way: end it; the client sees the cut.
    res.destroy();
    return;
  }
  if (status === 304) sendEmpty(res, 304);
  else sendJson(res, status, { message });
}
