/**
 * Recursion on a stack of our own, not JavaScript's: a tree walk that recurses per directory would
 * overflow the call stack on a path of a few thousand components (4,095 bytes hold 2,047), so every
 * walk of a tree that a command or an import reaches goes through here (or through an explicit stack).
 * Costs one generator per call: the walks stay as they read, with `yield` where they recursed.
 */

/**
 * Runs `step(arg)` where `step` is a generator that yields the argument of each recursive call and is
 * resumed with that call's result; returns what the outermost call returns. Depth is bounded only by
 * memory.
 *
 * @example
 * const count = trampoline(function* (n: { children: typeof n[] }): Generator<typeof n, number, number> {
 *   let total = 1;
 *   for (const c of n.children) total += yield c;
 *   return total;
 * }, root);
 */
export function trampoline<A, R>(step: (arg: A) => Generator<A, R, R>, arg: A): R {
  const stack: Generator<A, R, R>[] = [];
  let current = step(arg);
  let input: R | undefined;
  for (;;) {
    const r = current.next(input as R);
    if (r.done) {
      const caller = stack.pop();
      if (caller === undefined) return r.value;
      current = caller;
      input = r.value;
    } else {
      stack.push(current);
      current = step(r.value);
      input = undefined;
    }
  }
}
