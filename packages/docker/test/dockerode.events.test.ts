/**
 * dockerode's event stream: `getEvents` with since, until and filters over the server, live (a
 * stream that stays open and receives each event as the log appends it) and replayed (since 0: the
 * whole history, ended by until), with the same messages both ways.
 */
import type { Readable } from "node:stream";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Served, seedImage, serve } from "./support/served.js";

interface EventMessage {
  readonly Type: string;
  readonly Action: string;
  readonly Actor: { readonly ID: string; readonly Attributes: Record<string, string> };
  readonly scope: string;
  readonly time: number;
  readonly timeNano: number;
}

let d: Served;
let docker: Docker;
beforeAll(async () => {
  d = await serve();
  await seedImage(d.engine);
  docker = new Docker({ socketPath: d.socket });
});
afterAll(async () => {
  await d.stop();
  d.remove();
});

/** Reads JSON lines off an event stream until `count` messages have come (or the stream ends). */
function take(stream: Readable, count: number): Promise<EventMessage[]> {
  return new Promise((resolve, reject) => {
    const got: EventMessage[] = [];
    let buffered = "";
    const done = () => {
      stream.removeAllListeners("data");
      resolve(got);
    };
    stream.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      let nl = buffered.indexOf("\n");
      while (nl >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (line !== "") got.push(JSON.parse(line) as EventMessage);
        if (got.length >= count) return done();
        nl = buffered.indexOf("\n");
      }
    });
    stream.on("end", done);
    stream.on("error", reject);
  });
}

describe("dockerode's event stream", () => {
  test("live: each event arrives as it is appended, filtered; replayed: the same messages", async () => {
    const live = (await docker.getEvents({
      filters: { type: ["container"], container: ["ev"] },
    })) as unknown as Readable;
    const arriving = take(live, 4);
    const c = await docker.createContainer({ name: "ev", Image: "alpine", Cmd: ["sleep", "9"] });
    await c.start();
    await c.kill({ signal: "SIGKILL" });
    const seen = await arriving;
    live.destroy();
    expect(seen.map((e) => e.Action)).toEqual(["create", "start", "kill", "die"]);
    for (const e of seen) {
      expect(e).toMatchObject({ Type: "container", scope: "local", Actor: { ID: c.id } });
      expect(e.Actor.Attributes).toMatchObject({ name: "ev", image: "alpine" });
      expect(e.timeNano).toBeGreaterThanOrEqual(e.time * 1e9);
    }
    expect(seen.find((e) => e.Action === "kill")?.Actor.Attributes.signal).toBe("9");
    expect(seen.find((e) => e.Action === "die")?.Actor.Attributes.exitCode).toBe("137");

    // Replayed from the log: since the beginning, until now; the stream ends by itself.
    const until = Math.ceil(Date.now() / 1000) + 1;
    const replay = (await docker.getEvents({
      since: 0,
      until,
      filters: { type: ["container"], container: ["ev"] },
    })) as unknown as Readable;
    const replayed = await take(replay, Number.POSITIVE_INFINITY);
    expect(replayed.filter((e) => ["create", "start", "kill", "die"].includes(e.Action))).toEqual(seen);
  });

  test("a filter that matches nothing sends nothing; a since that is no time is dockerd's error", async () => {
    const replay = (await docker.getEvents({
      since: 0,
      until: Math.ceil(Date.now() / 1000) + 1,
      filters: { container: ["no-such-container"] },
    })) as unknown as Readable;
    expect(await take(replay, Number.POSITIVE_INFINITY)).toEqual([]);
    // dockerd 28 reads since with timetypes.ParseTimestamps and answers its untyped error as a 500.
    await expect(docker.getEvents({ since: "yesterday" as unknown as number })).rejects.toMatchObject({
      statusCode: 500,
      message: expect.stringMatching(/strconv\.ParseInt: parsing \\?"yesterday\\?": invalid syntax/),
    });
  });
});
