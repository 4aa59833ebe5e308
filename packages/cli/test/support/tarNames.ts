/** Reading a tar in the CLI's end-to-end tests, to compare what two clients wrote. */

/** A tar's entries as `name type mode size` lines, read by GNU tar's own listing rules (here: by hand). */
export function tarNames(tar: Buffer): string[] {
  const names: string[] = [];
  let at = 0;
  let longName: string | undefined;
  while (at + 512 <= tar.length) {
    const block = tar.subarray(at, at + 512);
    if (block.every((b) => b === 0)) break;
    const field = (o: number, l: number) =>
      block
        .subarray(o, o + l)
        .toString("latin1")
        .replace(/\0.*$/s, "");
    const size = Number.parseInt(field(124, 12).trim() || "0", 8);
    const type = field(156, 1) || "0";
    const body = tar.subarray(at + 512, at + 512 + size);
    at += 512 + Math.ceil(size / 512) * 512;
    if (type === "x") {
      longName = /\d+ path=([^\n]*)\n/.exec(body.toString("utf8"))?.[1];
      continue;
    }
    const prefix = field(345, 155);
    const name = longName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
    longName = undefined;
    const mode = Number.parseInt(field(100, 8).trim() || "0", 8) & 0o7777;
    names.push(
      `${name} ${type} ${mode.toString(8)} ${type === "0" ? body.toString("latin1") : field(157, 100)}`,
    );
  }
  return names;
}
