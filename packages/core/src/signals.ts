/**
 * The signals of Linux x86-64, with their numbers, as Docker's `signal.SignalMap` knows them (moby
 * vendor/github.com/moby/sys/signal/signal_linux.go): the 31 standard signals and the real-time ones
 * (`SIGRTMIN` = 34 … `SIGRTMAX` = 64, written `RTMIN+n` and `RTMAX-n`). A process killed by signal N
 * exits with 128 + N (SIGKILL → 137, SIGTERM → 143), as containerd's reaper reports it.
 */
const STANDARD = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGSTKFLT: 16,
  SIGCHLD: 17,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGTSTP: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGURG: 23,
  SIGXCPU: 24,
  SIGXFSZ: 25,
  SIGVTALRM: 26,
  SIGPROF: 27,
  SIGWINCH: 28,
  SIGIO: 29,
  SIGPWR: 30,
  SIGSYS: 31,
} as const;

const SIGRTMIN = 34;
const SIGRTMAX = 64;

type RtName = `SIGRTMIN` | `SIGRTMIN+${number}` | `SIGRTMAX-${number}` | `SIGRTMAX`;

function realTime(): Record<RtName, number> {
  const out: Record<string, number> = { SIGRTMIN: SIGRTMIN };
  for (let n = 1; n <= 15; n++) out[`SIGRTMIN+${n}`] = SIGRTMIN + n;
  for (let n = 14; n >= 1; n--) out[`SIGRTMAX-${n}`] = SIGRTMAX - n;
  out.SIGRTMAX = SIGRTMAX;
  return out as Record<RtName, number>;
}

/** Every signal name the engine knows, with its number. */
export const SIGNALS: Readonly<Record<SignalName, number>> = Object.freeze({ ...STANDARD, ...realTime() });

/** A signal's canonical name: `SIGTERM`, `SIGRTMIN+3`. */
export type SignalName = keyof typeof STANDARD | RtName;

/** Names Docker accepts for a signal that has another canonical name. */
const ALIASES: Readonly<Record<string, SignalName>> = {
  SIGCLD: "SIGCHLD",
  SIGIOT: "SIGABRT",
  SIGPOLL: "SIGIO",
};

/** Signals whose default action is to be ignored. */
export const DEFAULT_IGNORED_SIGNALS: readonly SignalName[] = ["SIGCHLD", "SIGCONT", "SIGURG", "SIGWINCH"];

/**
 * Signals whose default action stops the process (job control). Stopped processes are not simulated:
 * such a signal is delivered and the process keeps running (docs/lifecycle.md lists the choice).
 */
export const DEFAULT_STOP_SIGNALS: readonly SignalName[] = ["SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU"];

const BY_NUMBER = new Map<number, SignalName>(
  (Object.entries(SIGNALS) as [SignalName, number][]).map(([name, n]) => [n, name]),
);

/**
 * Parses `TERM`, `SIGTERM`, `sigterm`, `RTMIN+3` or `15` into a signal name; `undefined` if Docker
 * would refuse it (see {@link signalError} for its words).
 */
export function parseSignal(input: string | number): SignalName | undefined {
  if (typeof input === "number" || /^-?[0-9]+$/.test(String(input))) return BY_NUMBER.get(Number(input));
  const upper = input.toUpperCase();
  const name = upper.startsWith("SIG") ? upper : `SIG${upper}`;
  if (name in SIGNALS) return name as SignalName;
  return ALIASES[name];
}

/**
 * Docker's refusal of a signal it cannot use, or null when `parseSignal` accepts it: `invalid signal: X`
 * for a name it does not know (or 0), `the linux daemon does not support signal N` for a number that
 * is not a Linux signal (moby `signal.ParseSignal`, `daemon/kill.go`).
 */
export function signalError(input: string | number): string | null {
  if (parseSignal(input) !== undefined) return null;
  const text = String(input);
  if (/^-?[0-9]+$/.test(text) && Number(text) !== 0)
    return `the linux daemon does not support signal ${text}`;
  return `invalid signal: ${text}`;
}

/** The exit code of a process killed by `signal`: 128 + its number. */
export function exitCodeForSignal(signal: SignalName): number {
  return 128 + (SIGNALS[signal] as number);
}
