/**
 * The signals the simulated process space knows, with Linux x86-64 numbers. A process killed by signal
 * N exits with 128 + N (SIGKILL → 137, SIGTERM → 143), as containerd's reaper reports it.
 */
export const SIGNALS = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGUSR2: 12,
  SIGTERM: 15,
  SIGCHLD: 17,
  SIGCONT: 18,
  SIGURG: 23,
  SIGWINCH: 28,
} as const;

export type SignalName = keyof typeof SIGNALS;

/** Signals whose default action is to be ignored; every other supported signal terminates. */
export const DEFAULT_IGNORED_SIGNALS: readonly SignalName[] = ["SIGCHLD", "SIGCONT", "SIGURG", "SIGWINCH"];

/**
 * Parses `TERM`, `SIGTERM`, `sigterm` or `15` into a signal name; `undefined` if unknown.
 */
export function parseSignal(input: string | number): SignalName | undefined {
  if (typeof input === "number" || /^[0-9]+$/.test(input)) {
    const n = Number(input);
    return (Object.keys(SIGNALS) as SignalName[]).find((k) => SIGNALS[k] === n);
  }
  const upper = input.toUpperCase();
  const name = upper.startsWith("SIG") ? upper : `SIG${upper}`;
  return name in SIGNALS ? (name as SignalName) : undefined;
}

/** The exit code of a process killed by `signal`: 128 + its number. */
export function exitCodeForSignal(signal: SignalName): number {
  return 128 + SIGNALS[signal];
}
