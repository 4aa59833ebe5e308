/**
 * The JSON message stream of `docker load` and `docker pull` (moby pkg/streamformatter, pkg/jsonmessage):
 * one JSON object per line, ended by `\r\n` as moby writes them, with the fields in `JSONMessage`'s order.
 * An error after the answer started is a message with `errorDetail` (the docker CLI stops there, prints
 * the message and exits 1; `error` alone it would not notice).
 */

/** A line of output (`{"stream": …}`), what `docker load` prints verbatim. */
export const streamMessage = (text: string): string => `${JSON.stringify({ stream: text })}\r\n`;

/** A status line, with the id it is about (`latest: Pulling from library/alpine`). */
export const statusMessage = (status: string, id?: string): string =>
  `${JSON.stringify(id === undefined ? { status } : { status, id })}\r\n`;

/** A progress line (`Loading layer`), shown only on a terminal; `id` names what it is about. */
export function progressMessage(status: string, current: number, total: number, id?: string): string {
  const width = 50;
  const filled = total > 0 ? Math.min(width, Math.floor((current / total) * width)) : width;
  const bar = `[${"=".repeat(Math.max(0, filled - 1))}${filled === width ? "=" : ">"}${" ".repeat(width - filled)}]`;
  const progress = `${bar}  ${humanSize(current)}/${humanSize(total)}`;
  return `${JSON.stringify({ status, progressDetail: { current, total }, progress, ...(id === undefined ? {} : { id }) })}\r\n`;
}

/** An error in the stream, in both fields (`errorDetail` is what the client acts on). */
export const errorMessage = (message: string): string =>
  `${JSON.stringify({ errorDetail: { message }, error: message })}\r\n`;

/** go-units `HumanSize`: decimal units, four significant digits (`32.77kB`, `8.6MB`, `0B`). */
export function humanSize(bytes: number): string {
  const units = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
  let size = bytes;
  let i = 0;
  while (size >= 1000 && i < units.length - 1) {
    size /= 1000;
    i++;
  }
  return `${Number(size.toPrecision(4))}${units[i]}`;
}
