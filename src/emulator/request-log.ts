/**
 * The request log: the last 1000 requests under `/api/`, oldest first, so tests can assert what a
 * client sent (headers, body, connection reuse) without a proxy.
 */

const CAPACITY = 1000;

/** One logged request, appended when its response is sent or dropped. */
export interface RequestLogEntry {
  /** Arrival time, RFC 3339 with milliseconds, emulator clock. */
  at: string;
  method: string;
  /** Path without the query. */
  path: string;
  /** Status sent, or produced when the response was dropped. */
  status: number;
  /** Every request header, lower-case names, repeats joined with `", "`. */
  headers: Record<string, string>;
  /** The body parsed as JSON; `null` when empty or not JSON. */
  body: unknown;
  /** Client TCP port: two entries with the same port came over one keep-alive connection. */
  remotePort: number | null;
  /** True when the response was dropped (fault `drop-after-commit`). */
  dropped: boolean;
}

export class RequestLog {
  private log: RequestLogEntry[] = [];

  append(entry: RequestLogEntry): void {
    this.log.push(entry);
    if (this.log.length > CAPACITY) this.log.splice(0, this.log.length - CAPACITY);
  }

  entries(): readonly RequestLogEntry[] {
    return this.log;
  }

  clear(): void {
    this.log = [];
  }
}

/**
 * Request headers from Node's raw list: every header kept (Node's `req.headers` drops duplicates of some, such as
 * `authorization`), names lower-cased, repeats joined with `", "` in arrival order.
 */
export function collectHeaders(rawHeaders: readonly string[]): Record<string, string> {
  // No prototype: a header named `__proto__` must stay an ordinary entry.
  const headers: Record<string, string> = Object.create(null);
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    const value = rawHeaders[i + 1] as string;
    headers[name] = Object.hasOwn(headers, name) ? `${headers[name]}, ${value}` : value;
  }
  return headers;
}
