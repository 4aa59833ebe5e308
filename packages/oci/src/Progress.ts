/**
 * How far a long import or export has got, for progress bars. Imports count the bytes of the layer
 * blobs read so far against the sum of their sizes in the manifest (layers the engine already holds
 * count as done); exports count layers written.
 */
export interface Progress {
  readonly task: "import" | "export";
  readonly unit: "bytes" | "layers";
  readonly done: number;
  readonly total: number;
}

/** Called as an import or export goes on; must not throw. */
export type ProgressListener = (progress: Progress) => void;
