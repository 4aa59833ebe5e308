/**
 * The server could not listen where it was asked: the place is taken (`EADDRINUSE`: another server on
 * the socket or port), is something else (`EEXIST`: a file that is not a socket), or the system refused
 * (`EACCES`…). `code` is the errno name, `address` where it tried.
 */
export class ListenError extends Error {
  readonly code: string;
  readonly address: string;
  constructor(code: string, address: string, message: string) {
    super(`cannot listen on ${address}: ${message}`);
    this.name = "ListenError";
    this.code = code;
    this.address = address;
  }
}
