/**
 * The ids a command creates things with, filled from an `IdSource` before it is decided (so that
 * `decide` stays pure): a new container's id, an exec's id, a commit's image and layer ids, a new
 * image's id. Ids already in the command are kept, so a command planned again after a conflict keeps
 * the ids it was given the first time.
 */
import type { IdSource } from "../clock.js";
import type { Command } from "../commands/commands.js";

export function fillIds(command: Command, ids: IdSource): Command {
  switch (command.type) {
    case "container.create":
      return command.containerId ? command : { ...command, containerId: ids.next("container") };
    case "container.exec":
    case "container.execCreate":
      return command.execId ? command : { ...command, execId: ids.next("exec") };
    case "container.commit":
      return {
        ...command,
        imageId: command.imageId ?? `sha256:${ids.next("image")}`,
        layerId: command.layerId ?? `sha256:${ids.next("layer")}`,
      };
    case "image.create":
      return command.imageId ? command : { ...command, imageId: `sha256:${ids.next("image")}` };
    default:
      return command;
  }
}
