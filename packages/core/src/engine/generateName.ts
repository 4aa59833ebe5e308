/**
 * Docker-style generated container names (`adjective_surname`), derived from the container id so the
 * same id always gets the same name.
 */
const ADJECTIVES = [
  "admiring",
  "brave",
  "busy",
  "clever",
  "dreamy",
  "eager",
  "focused",
  "gallant",
  "happy",
  "jolly",
  "keen",
  "laughing",
  "loving",
  "modest",
  "nifty",
  "optimistic",
  "pensive",
  "quirky",
  "relaxed",
  "serene",
  "sharp",
  "stoic",
  "tender",
  "upbeat",
  "vibrant",
  "wizardly",
  "youthful",
  "zealous",
] as const;
const SURNAMES = [
  "babbage",
  "curie",
  "darwin",
  "einstein",
  "feynman",
  "goodall",
  "hopper",
  "hypatia",
  "johnson",
  "kepler",
  "lovelace",
  "meitner",
  "newton",
  "noether",
  "pasteur",
  "ritchie",
  "shannon",
  "thompson",
  "torvalds",
  "turing",
  "wozniak",
  "yalow",
] as const;

/** A name for container `id` that `taken` does not already hold. */
export function generateName(id: string, taken: (name: string) => boolean): string {
  const a = ADJECTIVES[Number.parseInt(id.slice(0, 4), 16) % ADJECTIVES.length];
  const s = SURNAMES[Number.parseInt(id.slice(4, 8), 16) % SURNAMES.length];
  const base = `${a}_${s}`;
  if (!taken(base)) return base;
  for (let i = 8; i <= id.length; i += 2) {
    const candidate = `${base}_${id.slice(0, i)}`;
    if (!taken(candidate)) return candidate;
  }
  return `${base}_${id}`;
}
