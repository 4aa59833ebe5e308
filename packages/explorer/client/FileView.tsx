/** One entry of the union: its metadata, the layer it comes from and what it hides, its contents. */
import type { FileAt, StackSummary } from "./api.js";
import { formatBytes, formatMode, layerLabel } from "./format.js";
import { useApi } from "./useApi.js";

interface Props {
  readonly seq: number;
  readonly refName: string;
  readonly path: string;
  readonly stack: StackSummary;
}

export function FileView({ seq, refName, path, stack }: Props) {
  const file = useApi<FileAt>("file", { seq, ref: refName, path });
  const n = stack.layers.length;
  const label = (i: number) => layerLabel(i, n, stack.layers[i]?.readWrite ?? false);
  if (file.error) return <section class="panel file error">{file.error}</section>;
  if (!file.data) return <section class="panel file">…</section>;
  const { stat, origin, content } = file.data;
  return (
    <section class="panel file" data-testid="file-view" data-path={path} data-seq={file.data.seq}>
      <h2>
        <code>{path}</code>
      </h2>
      {stat === null ? (
        <p data-testid="file-provenance" data-absent="true">
          Not in the union at #{seq}
          {origin && "by" in origin
            ? `: ${origin.reason === "whiteout" ? "deleted by a whiteout" : "hidden by an opaque directory"} in ${label(origin.by)}, hiding ${origin.hides.map(label).join(", ")}`
            : ""}
          .
        </p>
      ) : (
        <>
          <p data-testid="file-provenance" data-from={origin && "from" in origin ? origin.from : ""}>
            {origin && "from" in origin ? (
              <>
                From layer <b>{label(origin.from)}</b>
                {origin.hides.length > 0 && (
                  <>, hiding {origin.hides.map((i) => `${label(i)}'s`).join(", ")}</>
                )}
                {origin.mergedWith.length > 0 && <>, merged with {origin.mergedWith.map(label).join(", ")}</>}
                {origin.opaque && <>, opaque</>}.
              </>
            ) : null}
          </p>
          <p class="meta">
            {formatMode(stat.mode, stat.type)} {stat.uid}:{stat.gid} · {formatBytes(stat.size)}
            {stat.digest && <code class="digest"> {stat.digest.slice(0, 19)}…</code>}
            {stat.target !== undefined && <> → {stat.target}</>}
          </p>
          {content !== null && (
            <pre data-testid="file-content" class={file.data.binary ? "binary" : ""}>
              {file.data.binary
                ? `(binary, ${formatBytes(stat.size)}; base64) ${content.slice(0, 2000)}`
                : content}
              {file.data.truncated ? "\n…" : ""}
            </pre>
          )}
        </>
      )}
    </section>
  );
}
