/**
 * Creating a container as docker/cli does (`create.go` `createContainer`): the image reference checked
 * first (an invalid one is docker's client-side error), then `POST /containers/create`;
 * when the image is missing and `--pull` is `missing` (the default), say "Unable to find image … locally",
 * ask the daemon to pull it (`POST /images/create`; Strata has no registry, so its answer says why it
 * cannot) and, if that worked, create again. Warnings go to stderr; the id is returned.
 */
import { CommandError, type Context } from "../CommandSpec.js";
import { DaemonError, readAll } from "../client/DockerClient.js";
import { parseAnyReference } from "../format/dockerReference.js";

/** `alpine` → `alpine:latest`; a reference with a tag or a digest stays as it is. */
export function familiarWithTag(ref: string): string {
  const name = ref.slice(ref.lastIndexOf("/") + 1);
  return name.includes(":") || ref.includes("@") ? ref : `${ref}:latest`;
}

/** Pulls `ref` through the daemon: its JSON progress stream, an `error` in it thrown as a `DaemonError`. */
export async function pullImage(ctx: Context, ref: string): Promise<void> {
  const docker = await ctx.docker();
  const full = familiarWithTag(ref);
  const at = full.includes("@") ? full.indexOf("@") : full.lastIndexOf(":");
  const res = await docker.open({
    method: "POST",
    path: "/images/create",
    query: { fromImage: full.slice(0, at), tag: full.slice(at + 1) },
  });
  const body = (await readAll(res)).toString("utf8");
  const status = res.statusCode ?? 0;
  if (status >= 400) {
    let message = body.trim();
    try {
      message = (JSON.parse(body) as { message?: string }).message ?? message;
    } catch {
      // not JSON
    }
    throw new DaemonError(status, message);
  }
  for (const line of body.split("\n")) {
    if (line.trim() === "") continue;
    const m = JSON.parse(line) as { error?: string; errorDetail?: { message?: string } };
    if (m.error) throw new DaemonError(500, m.errorDetail?.message ?? m.error);
  }
}

export async function createContainer(
  ctx: Context,
  body: Record<string, unknown>,
  options: { name?: string; pull?: string; quiet?: boolean },
): Promise<string> {
  const image = body.Image as string;
  // docker/cli's createContainer reads the reference before any request (reference.ParseAnyReference).
  try {
    parseAnyReference(image);
  } catch (e) {
    throw new CommandError((e as Error).message);
  }
  const docker = await ctx.docker();
  const create = () =>
    docker.json<{ Id: string; Warnings: string[] | null }>({
      method: "POST",
      path: "/containers/create",
      query: { name: options.name },
      body,
    });
  if (options.pull === "always") await pullImage(ctx, image);
  let created: { Id: string; Warnings: string[] | null };
  try {
    created = await create();
  } catch (e) {
    const missing = e instanceof DaemonError && e.status === 404 && /^No such image/.test(e.message);
    if (!missing || (options.pull ?? "missing") !== "missing") throw e;
    if (!options.quiet) ctx.out.error(`Unable to find image '${familiarWithTag(image)}' locally`);
    await pullImage(ctx, image);
    created = await create();
  }
  for (const w of created.Warnings ?? []) ctx.out.error(`WARNING: ${w}`);
  return created.Id;
}
