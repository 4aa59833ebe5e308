/** ls(1)'s letter for a type: d, l, c, b, p, or - for a file. */
export function typeLetter(type: string): string {
  return (
    (
      { dir: "d", symlink: "l", "char-device": "c", "block-device": "b", fifo: "p" } as Record<string, string>
    )[type] ?? "-"
  );
}
