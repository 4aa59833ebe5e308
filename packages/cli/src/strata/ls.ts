/**
 * `strata ls REF[@SEQ] [PATH]`: a directory of the union view, as `ls -l` shows it.
 */
import type { CommandSpec } from "../CommandSpec.js";
import { refAt } from "../verbs/refAt.js";
import { momentOf } from "./momentOf.js";
import { typeLetter } from "./typeLetter.js";

export const lsCommand: CommandSpec = {
  name: "ls",
  args: { min: 1, max: 2 },
  group: "log",
  readOnly: true,
  usage: "strata ls REF[@SEQ] [PATH]",
  flags: { format: { type: "string", values: ["json"], help: 'Print JSON ("json")' } },
  summary: "List a directory of an image or container (as it was at SEQ); a file lists itself",
  run: async (ctx) => {
    const [target, path = "/"] = ctx.args;
    const { ref, at } = refAt(target as string);
    const view = (await momentOf(ctx, at)).view(ref);
    // Like ls(1): a directory (or a link to one) lists its entries; anything else lists itself.
    const rows =
      view.stat(path).type === "dir"
        ? view.readdir(path).map((n) => ({ name: n, ...view.stat(`${path}/${n}`, { follow: false }) }))
        : [{ name: path, ...view.stat(path, { follow: false }) }];
    if (ctx.out.json) ctx.out.data(rows);
    else
      ctx.out.table(
        ["MODE", "UID", "GID", "SIZE", "NAME"],
        rows.map((r) => [
          `${typeLetter(r.type)}${r.mode.toString(8).padStart(4, "0")}`,
          String(r.uid),
          String(r.gid),
          r.major !== undefined ? `${r.major}, ${r.minor}` : String(r.size),
          r.type === "symlink" ? `${r.name} -> ${r.target}` : r.name,
        ]),
      );
    return 0;
  },
};
