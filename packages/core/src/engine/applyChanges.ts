/**
 * `docker commit --change`: Dockerfile instructions applied to an image configuration, as moby's
 * `BuildFromConfig` dispatches them (daemon/builder/dockerfile/builder.go, dispatchers.go). The
 * instructions Docker allows are CMD, ENTRYPOINT, ENV, EXPOSE, HEALTHCHECK, LABEL, ONBUILD, STOPSIGNAL,
 * USER, VOLUME and WORKDIR; any other is `<INSTR> is not a valid change command`.
 *
 * Supported syntax: exec form (a JSON array) and shell form (`/bin/sh -c`), `key=value` pairs with
 * double or single quotes and backslash escapes, the legacy `ENV key value`, `$VAR` and `${VAR}`
 * expanded from the environment being built (ENV, LABEL, EXPOSE, USER, WORKDIR, VOLUME, STOPSIGNAL),
 * line continuations with a trailing backslash and `#` comment lines. Not supported: the
 * `${VAR:-default}` forms and heredocs (refused with a clear message).
 */
import { InvalidParameterError } from "../errors.js";
import type { Healthcheck, ImageConfig } from "../events/common.js";
import { parseSignal, signalError } from "../signals.js";

const VALID = new Set([
  "cmd",
  "entrypoint",
  "healthcheck",
  "env",
  "expose",
  "label",
  "onbuild",
  "stopsignal",
  "user",
  "volume",
  "workdir",
]);

class ChangeError extends Error {}
const fail = (message: string): never => {
  throw new ChangeError(message);
};

/** The instructions of `changes` (joined by newlines, as moby does), continuation lines joined. */
function instructions(changes: readonly string[]): { name: string; args: string }[] {
  const out: { name: string; args: string }[] = [];
  let pending = "";
  for (const raw of changes.join("\n").split("\n")) {
    const line = pending === "" ? raw.trim() : `${pending}${raw.trim()}`;
    if (pending === "" && (line === "" || line.startsWith("#"))) continue;
    if (line.endsWith("\\")) {
      pending = `${line.slice(0, -1)} `;
      continue;
    }
    pending = "";
    const m = /^(\S+)\s*([\s\S]*)$/.exec(line);
    if (m) out.push({ name: m[1] as string, args: (m[2] as string).trim() });
  }
  if (pending.trim() !== "") {
    const m = /^(\S+)\s*([\s\S]*)$/.exec(pending.trim());
    if (m) out.push({ name: m[1] as string, args: (m[2] as string).trim() });
  }
  return out;
}

/** `$VAR` and `${VAR}` from `env` (unset: empty). */
function expand(word: string, env: readonly string[]): string {
  const lookup = (name: string) => {
    for (let i = env.length - 1; i >= 0; i--) {
      const e = env[i] as string;
      if (e.startsWith(`${name}=`)) return e.slice(name.length + 1);
    }
    return "";
  };
  return word.replace(/\$\{([^}]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, braced: string | undefined, bare) => {
    if (braced !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(braced))
      fail(`unsupported variable substitution: \${${braced}}`);
    return lookup((braced ?? bare) as string);
  });
}

/** Splits on unquoted whitespace, removing quotes and backslash escapes (and expanding variables). */
function words(text: string, env: readonly string[] | null): string[] {
  const out: string[] = [];
  let cur = "";
  let inWord = false;
  let quote: '"' | "'" | null = null;
  const push = (chunk: string, expandable: boolean) => {
    cur += expandable && env !== null ? expand(chunk, env) : chunk;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quote === "'") {
      if (ch === "'") quote = null;
      else cur += ch;
      continue;
    }
    if (ch === "\\" && i + 1 < text.length) {
      cur += text[++i];
      inWord = true;
      continue;
    }
    if (quote === '"') {
      if (ch === '"') quote = null;
      else {
        let j = i;
        while (j < text.length && text[j] !== '"' && text[j] !== "\\") j++;
        push(text.slice(i, j), true);
        i = j - 1;
      }
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
      continue;
    }
    if (/\s/.test(ch)) {
      if (inWord) out.push(cur);
      cur = "";
      inWord = false;
      continue;
    }
    let j = i;
    while (j < text.length && !/[\s"'\\]/.test(text[j] as string)) j++;
    push(text.slice(i, j), true);
    inWord = true;
    i = j - 1;
  }
  if (quote !== null) fail(`unexpected end of statement while looking for matching ${quote}`);
  if (inWord) out.push(cur);
  return out;
}

/** `key=value` pairs (or the legacy `key value…`) of ENV and LABEL. */
function pairs(name: string, args: string, env: readonly string[]): [string, string][] {
  if (args === "") fail(`${name} requires at least one argument`);
  const ws = words(args, env);
  if (!(ws[0] ?? "").includes("=")) {
    // Legacy form: the first word is the key, the rest of the line the value.
    const key = ws[0] as string;
    const rest = args.slice(args.indexOf(key.charAt(0)) + key.length).trim();
    if (rest === "") fail(`${name} must have two arguments`);
    return [[key, words(rest, env).join(" ")]];
  }
  return ws.map((w) => {
    const at = w.indexOf("=");
    if (at <= 0) fail(`${name} names can not be blank`);
    return [w.slice(0, at), w.slice(at + 1)];
  });
}

/** CMD/ENTRYPOINT/HEALTHCHECK CMD: a JSON array is the exec form, anything else runs under /bin/sh -c. */
function commandLine(args: string): { exec: string[] } | { shell: string } {
  if (args.startsWith("[")) {
    try {
      const parsed: unknown = JSON.parse(args);
      if (Array.isArray(parsed) && parsed.every((x) => typeof x === "string")) return { exec: parsed };
    } catch {
      // Not JSON: the shell form, as Docker does.
    }
  }
  return { shell: args };
}
const asArgv = (line: { exec: string[] } | { shell: string }): string[] =>
  "exec" in line ? line.exec : line.shell === "" ? [] : ["/bin/sh", "-c", line.shell];

/** Go durations: `30s`, `1m30s`, `500ms`, `1h`. */
function durationMs(flag: string, text: string): number {
  const units: Record<string, number> = {
    ns: 1e-6,
    us: 1e-3,
    µs: 1e-3,
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
  };
  const re = /([0-9]*\.?[0-9]+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * (units[m[2] as string] as number);
    matched = re.lastIndex;
  }
  if (text === "" || matched !== text.length) fail(`invalid argument "${text}" for "--${flag}" flag`);
  return Math.round(total);
}

function healthcheck(args: string): Healthcheck {
  const ws = args.split(/\s+/);
  const hc: Healthcheck = {
    test: [],
    intervalMs: 0,
    timeoutMs: 0,
    startPeriodMs: 0,
    startIntervalMs: 0,
    retries: 0,
  };
  let i = 0;
  const flags: Record<string, keyof Healthcheck> = {
    interval: "intervalMs",
    timeout: "timeoutMs",
    "start-period": "startPeriodMs",
    "start-interval": "startIntervalMs",
  };
  let next = { ...hc };
  for (; i < ws.length && (ws[i] as string).startsWith("--"); i++) {
    const m = /^--([a-z-]+)=(.*)$/.exec(ws[i] as string);
    if (!m) fail(`invalid HEALTHCHECK flag: ${ws[i]}`);
    const [, flag, value] = m as RegExpExecArray;
    if (flag === "retries") {
      if (!/^[0-9]+$/.test(value as string)) fail(`invalid argument "${value}" for "--retries" flag`);
      next = { ...next, retries: Number(value) };
    } else if (flag && flag in flags) {
      next = { ...next, [flags[flag] as string]: durationMs(flag, value as string) };
    } else fail(`unknown flag: ${flag}`);
  }
  const kind = (ws[i] ?? "").toUpperCase();
  const rest = ws.slice(i + 1).join(" ");
  if (kind === "NONE") {
    if (rest !== "" || i > 0) fail("HEALTHCHECK NONE takes no arguments");
    return { ...hc, test: ["NONE"] };
  }
  if (kind !== "CMD") fail(`Unknown type "${kind}" in HEALTHCHECK (try CMD)`);
  const line = commandLine(rest);
  if ("exec" in line) return { ...next, test: ["CMD", ...line.exec] };
  return { ...next, test: ["CMD-SHELL", line.shell] };
}

/** EXPOSE specs: `80`, `80/udp`, `8000-8002/tcp` → `80/tcp`… */
function ports(spec: string): string[] {
  const m = /^([0-9]+)(?:-([0-9]+))?(?:\/(tcp|udp|sctp))?$/i.exec(spec);
  if (!m) return fail(`invalid containerPort: ${spec}`);
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  const proto = (m[3] ?? "tcp").toLowerCase();
  if (from > 65535 || to > 65535 || to < from) fail(`invalid containerPort: ${spec}`);
  return Array.from({ length: to - from + 1 }, (_, k) => `${from + k}/${proto}`);
}

function normalizeWorkdir(current: string, requested: string): string {
  const path = requested.startsWith("/") ? requested : `/${current}/${requested}`;
  const parts: string[] = [];
  for (const p of path.split("/")) {
    if (p === "" || p === ".") continue;
    if (p === "..") parts.pop();
    else parts.push(p);
  }
  return `/${parts.join("/")}`;
}

function apply(config: ImageConfig, name: string, args: string, cmdSet: { value: boolean }): ImageConfig {
  const lower = name.toLowerCase();
  switch (lower) {
    case "cmd": {
      const line = commandLine(args);
      if ("exec" in line ? line.exec.length > 0 : line.shell !== "") cmdSet.value = true;
      return { ...config, cmd: asArgv(line) };
    }
    case "entrypoint": {
      const entrypoint = asArgv(commandLine(args));
      // ENTRYPOINT clears CMD unless a CMD came before it in the same changes (moby dispatchEntrypoint).
      return { ...config, entrypoint, cmd: cmdSet.value ? config.cmd : [] };
    }
    case "env": {
      let env = [...config.env];
      for (const [key, value] of pairs("ENV", args, config.env)) {
        const entry = `${key}=${value}`;
        const at = env.findIndex((e) => e.split("=")[0] === key);
        env = at >= 0 ? env.map((e, k) => (k === at ? entry : e)) : [...env, entry];
      }
      return { ...config, env };
    }
    case "label":
      return {
        ...config,
        labels: { ...config.labels, ...Object.fromEntries(pairs("LABEL", args, config.env)) },
      };
    case "expose": {
      const specs = words(args, config.env);
      if (specs.length === 0) fail("EXPOSE requires at least one argument");
      const all = new Set([...config.exposedPorts, ...specs.flatMap(ports)]);
      return { ...config, exposedPorts: [...all].sort() };
    }
    case "user": {
      const user = words(args, config.env);
      if (user.length !== 1) fail("USER requires exactly one argument");
      return { ...config, user: user[0] as string };
    }
    case "workdir": {
      const dir = words(args, config.env);
      if (dir.length !== 1) fail("WORKDIR requires exactly one argument");
      return { ...config, workingDir: normalizeWorkdir(config.workingDir, dir[0] as string) };
    }
    case "stopsignal": {
      const sig = words(args, config.env);
      if (sig.length !== 1) fail("STOPSIGNAL requires exactly one argument");
      const parsed = parseSignal(sig[0] as string);
      if (parsed === undefined) fail(signalError(sig[0] as string) ?? "invalid signal");
      return { ...config, stopSignal: parsed ?? null };
    }
    case "volume": {
      const line = commandLine(args);
      const vols = "exec" in line ? line.exec : words(args, config.env);
      if (vols.length === 0) fail("VOLUME requires at least one argument");
      if (vols.some((v) => v === "")) fail("VOLUME specified can not be an empty string");
      return { ...config, volumes: [...new Set([...config.volumes, ...vols])].sort() };
    }
    case "healthcheck":
      return { ...config, healthcheck: healthcheck(args) };
    case "onbuild": {
      const inner = (/^\S+/.exec(args)?.[0] ?? "").toUpperCase();
      if (inner === "") fail("ONBUILD requires at least one argument");
      if (inner === "ONBUILD") fail("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
      if (inner === "FROM" || inner === "MAINTAINER") fail(`${inner} isn't allowed as an ONBUILD trigger`);
      return { ...config, onBuild: [...config.onBuild, args] };
    }
    default:
      return fail(`${name} is not a valid change command`);
  }
}

/**
 * `config` with `changes` applied, in order; a bad change is an {@link InvalidParameterError} (400) in
 * Docker's words.
 *
 * @example
 * applyChanges(config, ["ENV DEBUG=1", 'CMD ["serve"]']).env; // [...config.env, "DEBUG=1"]
 */
export function applyChanges(config: ImageConfig, changes: readonly string[]): ImageConfig {
  const cmdSet = { value: false };
  let out = config;
  try {
    for (const { name, args } of instructions(changes)) {
      if (!VALID.has(name.toLowerCase())) fail(`${name} is not a valid change command`);
      if (/<<[-~]?\w/.test(args)) fail("heredocs are not supported in --change");
      out = apply(out, name, args, cmdSet);
    }
  } catch (e) {
    if (e instanceof ChangeError) throw new InvalidParameterError("invalid-change", e.message);
    throw e;
  }
  return out;
}
