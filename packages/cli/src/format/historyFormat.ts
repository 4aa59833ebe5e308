/**
 * `docker history` output: the historyContext templates see (ID as the daemon sends it, "<missing>" for
 * layers without an image, cut to 12; CreatedSince, or "N/A" before 2000; CreatedAt in RFC 3339;
 * CreatedBy with tabs as spaces, cut to 45 with "…"; Size, human or in bytes with -H=false; Comment).
 * Input is GET /images/{name}/history (moby image.HistoryResponseItem); `now` (ms) is injected. Pure.
 * Rules: docker/cli cli/command/image/formatter_history.go, history.go (v28.2.2).
 */
import type { FormattedOutput } from "./containerFormat.js";
import { ellipsis, truncateId } from "./ellipsis.js";
import { defineContext, goText } from "./formatterContext.js";
import { writeFormatted } from "./formatWrite.js";
import { T } from "./GoType.js";
import { fromGoString, toGoString } from "./goString.js";
import { formatRfc3339, utcTime } from "./goTime.js";
import { humanDuration, humanSizeWithPrecision } from "./goUnits.js";
import { decodeApiValue, moby } from "./mobyModel.js";

/** A layer of GET /images/{name}/history (moby image.HistoryResponseItem). */
export interface ApiHistoryItem {
  readonly Id?: string;
  readonly Created?: number;
  readonly CreatedBy?: string;
  readonly Tags?: readonly string[] | null;
  readonly Size?: number;
  readonly Comment?: string;
  readonly [key: string]: unknown;
}

interface Row {
  readonly h: ApiHistoryItem;
  readonly trunc: boolean;
  readonly human: boolean;
  readonly now: number;
}

const HEADER = {
  ID: "IMAGE",
  CreatedSince: "CREATED",
  CreatedAt: "CREATED AT",
  CreatedBy: "CREATED BY",
  Size: "SIZE",
  Comment: "COMMENT",
};

/** time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Unix(): older layers show N/A. */
const EPOCH_2000 = 946684800;

const createdAt = (h: ApiHistoryItem) => formatRfc3339(utcTime(BigInt(h.Created ?? 0) * 1_000_000_000n));

const HISTORY = defineContext<Row>(
  "image.historyContext",
  [
    { name: "trunc", type: T.bool },
    { name: "human", type: T.bool },
    { name: "h", type: moby.named("image.HistoryResponseItem") },
  ],
  [
    { name: "Comment", result: T.string, call: ({ h }) => goText(h.Comment ?? "") },
    { name: "CreatedAt", result: T.string, call: ({ h }) => goText(createdAt(h)) },
    {
      name: "CreatedBy",
      result: T.string,
      call: ({ h, trunc }) => {
        const by = toGoString((h.CreatedBy ?? "").replaceAll("\t", " "));
        return { t: T.string, v: trunc ? ellipsis(by, 45) : by };
      },
    },
    {
      name: "CreatedSince",
      result: T.string,
      call: ({ h, human, now }) => {
        if (!human) return goText(createdAt(h));
        if ((h.Created ?? 0) <= EPOCH_2000) return goText("N/A");
        return goText(`${humanDuration(now - (h.Created ?? 0) * 1000)} ago`);
      },
    },
    {
      name: "ID",
      result: T.string,
      call: ({ h, trunc }) => ({
        t: T.string,
        v: trunc ? truncateId(toGoString(h.Id ?? "")) : toGoString(h.Id ?? ""),
      }),
    },
    {
      name: "Size",
      result: T.string,
      call: ({ h, human }) => goText(human ? humanSizeWithPrecision(h.Size ?? 0, 3) : String(h.Size ?? 0)),
    },
  ],
);

/** image.NewHistoryFormat(source, quiet, human). */
export function newHistoryFormat(source: string, quiet: boolean, human: boolean): string {
  if (source === "table") {
    if (quiet) return "{{.ID}}";
    if (!human) return "table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}";
    return "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}";
  }
  return source;
}

/** Options of `docker history` that shape its output. */
export interface HistoryOptions {
  readonly format?: string;
  readonly quiet?: boolean;
  readonly noTrunc?: boolean;
  /** -H/--human (default true). */
  readonly human?: boolean;
  readonly now: number;
}

/**
 * `docker history` output for the layers of GET /images/{name}/history.
 * @throws FormatError as docker reports a bad format
 */
export function formatImageHistory(
  history: readonly ApiHistoryItem[],
  options: HistoryOptions,
): FormattedOutput {
  const human = options.human ?? true;
  const trunc = !options.noTrunc;
  const format = newHistoryFormat(options.format ? options.format : "table", options.quiet ?? false, human);
  const rows = history.map((h) =>
    HISTORY.row({ h, trunc, human, now: options.now }, [
      { t: T.bool, v: trunc },
      { t: T.bool, v: human },
      decodeApiValue(h, "image.HistoryResponseItem"),
    ]),
  );
  return { stdout: fromGoString(writeFormatted(format, rows, HISTORY.header(HEADER))), stderr: "" };
}
