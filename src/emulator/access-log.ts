/**
 * The access log line, one per handled request, for the `logger` option. Paths can carry a relay token (the
 * generate-claim route and the control API's completion route), and a relay token plus its secret reads a claim:
 * the log shows the route with the token replaced, so it can be shared or pasted into a bug report.
 */

/** Stands in for a relay token in logged paths. */
const REDACTED_TOKEN = '{relay-token}';

/** Any segment after `/relays/`, except the fixed `challenge` route. */
const RELAY_TOKEN_SEGMENT = /(\/relays\/)(?!challenge(?:\/|$))[^/]+/g;

/** `path` (without its query) with every relay token replaced. */
export function redactedPath(path: string): string {
  return path.replace(RELAY_TOKEN_SEGMENT, `$1${REDACTED_TOKEN}`);
}

/** `METHOD path status duration`, path redacted. */
export function accessLogLine(method: string, path: string, status: number, durationMs: number): string {
  return `${method} ${redactedPath(path)} ${status} ${Math.round(durationMs)}ms`;
}
