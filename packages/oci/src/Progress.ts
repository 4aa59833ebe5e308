/**
 * How far a long import or export has got, for progress bars. Imports count the bytes of the layer
 * blobs read so far against the sum of their sizes in the manifest (layers the engine already holds
 * count as done); exports count layers written.
 */
import type { Readable } from "node:stream";

export interface Progress {
  readonly task: "import" | "export";
  readonly unit: "bytes" | "layers";
  readonly done: number;
  readonly total: number;
}

/** Called as an import or export goes on; must not throw. */
export type ProgressListener = (progress: Progress) => void;

/**
 * An import's byte count: the layers already held count as read at once (`skip`), the others as their
 * blob streams are read (`watch`). Tells `listener` at the start and on every change.
 */
export function importProgress(
  listener: ProgressListener | undefined,
  total: number,
): { skip(bytes: number): void; watch(stream: Readable): void } {
  let done = 0;
  const report = () => listener?.({ task: "import", unit: "bytes", done, total });
  report();
  return {
    skip(bytes) {
      done += bytes;
      report();
    },
    watch(stream) {
      if (!listener) return;
      stream.on("data", (chunk: Buffer) => {
        done += chunk.length;
        report();
      });
    },
  };
}
