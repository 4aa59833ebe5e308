/**
 * fast-check generators of the Engine API's JSON in the shapes dockerd sends (container.Summary rows,
 * image.Summary rows, image.HistoryResponseItem layers, container and image inspect documents,
 * events.Message lines), with the awkward corners the docker CLI's formatters must get right: unicode
 * and wide runes, quotes and tabs in commands, several names and links, digests and untagged images,
 * registries with ports, port ranges, negative and huge sizes, nulls where Go has nil slices and maps.
 *
 * Times are seconds before a `now` the caller passes, chosen so that docker's relative wording ("5
 * minutes ago") reads the same anywhere in the few seconds a CLI run takes: see `stableAge`.
 */
import fc from "fast-check";
import { humanDuration } from "../../../src/format/goUnits.js";

const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/);
const word = fc.stringMatching(/^[a-z][a-z0-9]{0,9}$/);

/** Text with the runes formatters trip over: wide, combining, quotes, tabs, spaces, `<>&`. */
export const text: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom("a", "b", "z", "0", "9", "-", "_", ".", "/", ":", "=") },
      {
        weight: 1,
        arbitrary: fc.constantFrom(" ", '"', "'", "\\", "<", ">", "&", ",", "\t", "é", "日", "🐳", "\u0301"),
      },
    ),
    { maxLength: 40 },
  )
  .map((a) => a.join(""));

/** A window of the seconds a docker run can take after the test computes `now`. */
const SLACK_MS = 8000;

/** An age in seconds whose HumanDuration is the same from age-1 s to age+SLACK. */
export const stableAge: fc.Arbitrary<number> = fc
  .oneof(
    fc.integer({ min: 90, max: 3600 }),
    fc.integer({ min: 3600, max: 3 * 86400 }),
    fc.integer({ min: 3 * 86400, max: 800 * 86400 }),
    fc.integer({ min: 800 * 86400, max: 60 * 365 * 86400 }),
  )
  .filter((age) => humanDuration(age * 1000 - 1000) === humanDuration(age * 1000 + SLACK_MS));

/** A Created value: now minus a stable age, or the epoch, or in the future ("Less than a second"). */
export function createdSeconds(nowSec: number): fc.Arbitrary<number> {
  return fc.oneof(
    { weight: 8, arbitrary: stableAge.map((a) => nowSec - a) },
    { weight: 1, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.integer({ min: 60, max: 86400 }).map((a) => nowSec + a) },
  );
}

const size = fc.oneof(
  fc.constantFrom(0, -1, 1, 999, 1000, 999_950, 999_999, 1_000_000, 1125, 7_654_321),
  fc.integer({ min: 0, max: 2 ** 50 }),
);

const repoName = fc.oneof(
  word,
  fc.tuple(word, word).map(([a, b]) => `${a}/${b}`),
  fc
    .tuple(
      fc.constantFrom("localhost:5000", "registry.example:443", "docker.io", "index.docker.io"),
      word,
      word,
    )
    .map(([h, a, b]) => `${h}/${a}/${b}`),
  fc.constantFrom("library/alpine", "docker.io/library/busybox", "alpine"),
);
const tag = fc.oneof(fc.constant("latest"), fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,12}$/));

/** An image reference as a container's Image field may hold it. */
const imageRef = fc.oneof(
  repoName,
  fc.tuple(repoName, tag).map(([r, t]) => `${r}:${t}`),
  fc.tuple(repoName, hex64).map(([r, d]) => `${r}@sha256:${d}`),
  fc.tuple(repoName, tag, hex64).map(([r, t, d]) => `${r}:${t}@sha256:${d}`),
  hex64.map((h) => `sha256:${h}`),
  hex64.map((h) => h.slice(0, 12)),
);

const labels = fc.oneof(
  fc.constant(null),
  fc.dictionary(fc.oneof(word, fc.constantFrom("x", "com.example.x", "a,b", "k=v")), text, { maxKeys: 4 }),
);

const port = fc.record(
  {
    IP: fc.constantFrom("0.0.0.0", "::", "127.0.0.1", ""),
    PrivatePort: fc.oneof(fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 80, max: 84 })),
    PublicPort: fc.oneof(fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 8080, max: 8084 })),
    Type: fc.constantFrom("tcp", "udp", "sctp"),
  },
  { requiredKeys: ["PrivatePort", "Type"] },
);

const mount = fc.record({
  Type: fc.constantFrom("volume", "bind"),
  Name: fc.oneof(fc.constant(""), word, hex64),
  Source: fc.constantFrom("/var/lib/x", "/src", ""),
  Destination: fc.constantFrom("/data", "/x"),
  Driver: fc.constantFrom("local", ""),
  Mode: fc.constantFrom("", "z"),
  RW: fc.boolean(),
  Propagation: fc.constantFrom("", "rprivate"),
});

/** A row of GET /containers/json. */
export function apiContainer(nowSec: number): fc.Arbitrary<Record<string, unknown>> {
  return fc.record({
    Id: hex64,
    Names: fc.oneof(
      fc.constant(null),
      fc.array(
        fc.oneof(
          word.map((n) => `/${n}`),
          fc.tuple(word, word).map(([a, b]) => `/${a}/${b}`),
        ),
        { minLength: 1, maxLength: 3 },
      ),
    ),
    Image: imageRef,
    ImageID: hex64.map((h) => `sha256:${h}`),
    Command: text,
    Created: createdSeconds(nowSec),
    Ports: fc.oneof(fc.constant(null), fc.array(port, { maxLength: 5 })),
    SizeRw: fc.option(size, { nil: undefined }),
    SizeRootFs: fc.option(size, { nil: undefined }),
    Labels: labels,
    State: fc.constantFrom("created", "running", "paused", "restarting", "removing", "exited", "dead"),
    Status: fc.oneof(
      fc.constantFrom("Up 5 minutes", "Exited (137) 2 seconds ago", "Created", "Up 3 hours (Paused)"),
      text,
    ),
    HostConfig: fc.record({ NetworkMode: fc.constantFrom("bridge", "none", "host") }),
    // docker joins .Networks in Go's random map order; we sort: one network keeps the run comparable
    NetworkSettings: fc.record({
      Networks: fc.oneof(fc.constant(null), fc.dictionary(word, fc.constant({}), { maxKeys: 1 })),
    }),
    Mounts: fc.oneof(fc.constant(null), fc.array(mount, { maxLength: 3 })),
  });
}

/** A row of GET /images/json. */
export function apiImage(nowSec: number): fc.Arbitrary<Record<string, unknown>> {
  return fc.record({
    Id: hex64.map((h) => `sha256:${h}`),
    ParentId: fc.oneof(
      fc.constant(""),
      hex64.map((h) => `sha256:${h}`),
    ),
    RepoTags: fc.oneof(
      fc.constant(null),
      fc.array(
        fc.oneof(
          fc.tuple(repoName, tag).map(([r, t]) => `${r}:${t}`),
          fc.constant("<none>:<none>"),
        ),
        {
          maxLength: 3,
        },
      ),
    ),
    RepoDigests: fc.oneof(
      fc.constant(null),
      fc.array(
        fc.oneof(
          fc.tuple(repoName, hex64).map(([r, d]) => `${r}@sha256:${d}`),
          fc.constant("<none>@<none>"),
        ),
        { maxLength: 2 },
      ),
    ),
    Created: createdSeconds(nowSec),
    Size: size,
    SharedSize: size,
    Labels: labels,
    Containers: fc.integer({ min: -1, max: 5 }),
  });
}

/** A layer of GET /images/{name}/history. */
export function apiHistoryItem(nowSec: number): fc.Arbitrary<Record<string, unknown>> {
  return fc.record({
    Id: fc.oneof(
      fc.constant("<missing>"),
      hex64.map((h) => `sha256:${h}`),
    ),
    Created: createdSeconds(nowSec),
    CreatedBy: fc.oneof(
      text,
      text.map((t) => `/bin/sh -c #(nop) ${t}`),
    ),
    Tags: fc.oneof(
      fc.constant(null),
      fc.array(
        fc.tuple(repoName, tag).map(([r, t]) => `${r}:${t}`),
        { maxLength: 2 },
      ),
    ),
    Size: size,
    Comment: text,
  });
}

const rfc3339 = fc
  .tuple(fc.integer({ min: 0, max: 4_000_000_000 }), fc.integer({ min: 0, max: 999_999_999 }))
  .map(([s, ns]) => {
    const base = new Date(s * 1000).toISOString().slice(0, 19);
    return ns === 0 ? `${base}Z` : `${base}.${String(ns).padStart(9, "0").replace(/0+$/, "")}Z`;
  });

/** GET /containers/{id}/json. */
export const containerInspect: fc.Arbitrary<Record<string, unknown>> = fc
  .record({
    Id: hex64,
    Created: rfc3339,
    Path: text,
    Args: fc.array(text, { maxLength: 3 }),
    State: fc.record({
      Status: fc.constantFrom("created", "running", "exited"),
      Running: fc.boolean(),
      Paused: fc.boolean(),
      Restarting: fc.boolean(),
      OOMKilled: fc.boolean(),
      Dead: fc.boolean(),
      Pid: fc.integer({ min: 0, max: 4_000_000 }),
      ExitCode: fc.integer({ min: 0, max: 255 }),
      Error: text,
      StartedAt: rfc3339,
      FinishedAt: fc.oneof(fc.constant("0001-01-01T00:00:00Z"), rfc3339),
    }),
    Image: hex64.map((h) => `sha256:${h}`),
    Name: word.map((n) => `/${n}`),
    RestartCount: fc.nat(5),
    Driver: fc.constant("overlay2"),
    Platform: fc.constant("linux"),
    HostConfig: fc.record({
      NetworkMode: fc.constantFrom("none", "bridge"),
      RestartPolicy: fc.record({
        Name: fc.constantFrom("no", "always", "on-failure"),
        MaximumRetryCount: fc.nat(3),
      }),
      PortBindings: fc.oneof(
        fc.constant(null),
        fc.dictionary(
          fc.integer({ min: 1, max: 65535 }).map((p) => `${p}/tcp`),
          fc.array(
            fc.record({ HostIp: fc.constantFrom("", "127.0.0.1"), HostPort: fc.nat(65535).map(String) }),
            {
              minLength: 1,
              maxLength: 2,
            },
          ),
          { maxKeys: 2 },
        ),
      ),
    }),
    Config: fc.record({
      Hostname: word,
      Env: fc.oneof(
        fc.constant(null),
        fc.array(
          fc.tuple(word, text).map(([k, v]) => `${k}=${v}`),
          { maxLength: 3 },
        ),
      ),
      Cmd: fc.oneof(fc.constant(null), fc.array(text, { maxLength: 3 })),
      Image: imageRef,
      Labels: labels,
      StopTimeout: fc.option(fc.nat(60), { nil: undefined }),
    }),
    Mounts: fc.array(mount, { maxLength: 2 }),
    NetworkSettings: fc.record({ Networks: fc.constant({}), Ports: fc.constant({}) }),
    Strata: fc.option(fc.record({ seq: fc.nat(1000) }), { nil: undefined }),
  })
  .map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)));

/** GET /images/{name}/json. */
export const imageInspect: fc.Arbitrary<Record<string, unknown>> = fc.record({
  Id: hex64.map((h) => `sha256:${h}`),
  RepoTags: fc.array(
    fc.tuple(repoName, tag).map(([r, t]) => `${r}:${t}`),
    { maxLength: 2 },
  ),
  RepoDigests: fc.array(
    fc.tuple(repoName, hex64).map(([r, d]) => `${r}@sha256:${d}`),
    { maxLength: 1 },
  ),
  Parent: fc.constant(""),
  Comment: text,
  Created: rfc3339,
  Config: fc.record({
    Cmd: fc.oneof(fc.constant(null), fc.array(text, { maxLength: 2 })),
    Env: fc.array(
      fc.tuple(word, text).map(([k, v]) => `${k}=${v}`),
      { maxLength: 2 },
    ),
    Labels: labels,
  }),
  Architecture: fc.constantFrom("amd64", "arm64"),
  Os: fc.constant("linux"),
  Size: size,
  RootFS: fc.record({
    Type: fc.constant("layers"),
    Layers: fc.array(
      hex64.map((h) => `sha256:${h}`),
      { maxLength: 3 },
    ),
  }),
});

/** One line of GET /events (its JSON text: timeNano needs all its digits). */
export const eventLine: fc.Arbitrary<string> = fc
  .record({
    Type: fc.constantFrom("container", "image", "network", "volume"),
    Action: fc.constantFrom("create", "start", "die", "destroy", "tag", "untag", "exec_start: sh -c x"),
    id: hex64,
    attrs: fc.dictionary(fc.oneof(word, fc.constantFrom("name", "image", "exitCode")), text, { maxKeys: 4 }),
    time: fc.integer({ min: 1, max: 4_000_000_000 }),
    nanos: fc.integer({ min: 0, max: 999_999_999 }),
    withStatus: fc.boolean(),
  })
  .map((e) => {
    const timeNano = `${e.time}${String(e.nanos).padStart(9, "0")}`;
    const legacy = e.withStatus ? `"status":${JSON.stringify(e.Action)},"id":"${e.id}","from":"alpine",` : "";
    return `{${legacy}"Type":"${e.Type}","Action":${JSON.stringify(e.Action)},"Actor":{"ID":"${e.id}","Attributes":${JSON.stringify(e.attrs)}},"scope":"local","time":${e.time},"timeNano":${timeNano}}`;
  });
