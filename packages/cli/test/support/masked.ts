/**
 * What two clients print, made comparable: relative times ("5 seconds ago", "Up 3 seconds") masked, since
 * the two run a moment apart, and runs of spaces (a table's padding, which a masked duration may change)
 * read as one. With `ids`, also the container and image ids and the names the daemon makes up
 * (`brave_shannon`), which twin logs choose apart.
 */
const DURATION =
  /(Less than a second|About a minute|About an hour|\d+ (second|minute|hour|day|week|month|year)s?)/g;

export function masked(text: string, options: { ids?: boolean } = {}): string[] {
  let t = text
    .replace(DURATION, "<duration>")
    .replace(/"(RunningFor|Status|CreatedSince)":"[^"]*"/g, '"$1":"<masked>"');
  if (options.ids)
    t = t
      .replace(/[0-9a-f]{64}/g, "<ID>")
      .replace(/\b[0-9a-f]{12}\b/g, "<id>")
      .replace(/\b[a-z]+_[a-z]+\b/g, "<name>");
  return t.replace(/ {2,}/g, "  ").split("\n");
}
