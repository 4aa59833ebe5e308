/**
 * What a failure of the PostgreSQL server or of the way to it means, as the store's typed errors:
 * - the server cannot be reached, or the connection broke (refused, reset, DNS, shutting down, too many
 *   connections): `StoreUnavailableError`, worth trying again later;
 * - the server refused this client (a wrong or missing password, no such role or database, no right to
 *   use it): a `StorageError` naming the log's location (never its password) and the server's words,
 *   with the SQLSTATE as its errno. Trying again will not help until the settings change.
 * Anything else is left as it is.
 */
import { StorageError, StoreError } from "../errors.js";

/** The database could not be reached, or the connection broke during the call. */
export class StoreUnavailableError extends StoreError {
  constructor(cause: unknown) {
    super("StoreUnavailable", `PostgreSQL is unavailable: ${(cause as Error)?.message ?? String(cause)}`);
    this.cause = cause;
  }
}

const UNREACHABLE_ERRNOS = [
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
];
/** admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections, connection_exception… */
const UNREACHABLE_STATES = ["57P01", "57P02", "57P03", "53300", "08000", "08001", "08003", "08004", "08006"];

/** Whether `e` says the server could not be reached or the connection broke. */
export function isConnectionError(e: unknown): boolean {
  const code = (e as { code?: string })?.code ?? "";
  const message = (e as Error)?.message ?? "";
  return (
    UNREACHABLE_ERRNOS.includes(code) ||
    UNREACHABLE_STATES.includes(code) ||
    /Connection terminated|connection.*(closed|ended)|Client has encountered a connection error/i.test(
      message,
    )
  );
}

/**
 * Whether the server refused this client: SQLSTATE class 28 (invalid authorization: a wrong password,
 * no such role, no pg_hba.conf entry), 3D000 (no such database), 42501 (no right to connect or to
 * create the schema).
 */
function refusedClient(code: string): boolean {
  return code.startsWith("28") || code === "3D000" || code === "42501";
}

/** `e` as the store's typed error (see the module comment), for the log at `location`. */
export function postgresFailure(e: unknown, location: string): unknown {
  if (e instanceof StoreError) return e;
  if (isConnectionError(e)) return new StoreUnavailableError(e);
  const code = (e as { code?: string })?.code;
  const message = (e as Error)?.message ?? String(e);
  let failure: StorageError | null = null;
  if (typeof code === "string" && refusedClient(code))
    failure = new StorageError("open", location, code, message);
  else if (/^SASL: .*password must be a string/.test(message))
    // node-postgres, when the server asks for a password and none was given.
    failure = new StorageError(
      "open",
      location,
      "28P01",
      "the server asks for a password and none was given",
    );
  if (!failure) return e;
  failure.cause = e;
  return failure;
}

/**
 * The log's location for messages: the connection string without its password (nor any other
 * parameter), with the schema: `postgres://user@host:5432/db?schema=strata`.
 */
export function postgresLocation(connectionString: string, schema: string): string {
  try {
    const url = new URL(connectionString);
    const user = url.username ? `${url.username}@` : "";
    return `${url.protocol}//${user}${url.host}${url.pathname}?schema=${schema}`;
  } catch {
    return `PostgreSQL schema ${schema}`;
  }
}

/** What a log opened read-only, and the stores beside it, answer a write. */
export function readOnlyError(location: string): StoreError {
  return new StoreError("ReadOnly", `${location}: this log was opened read-only`);
}
