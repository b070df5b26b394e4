/**
 * Keeps web pages away from the control API. It has no authentication, and a developer's browser can reach the
 * emulator on localhost, so without this guard any page could reset it, move its clock or queue faults with a
 * cross-site "simple" request (a form post or a `text/plain` fetch, which needs no CORS preflight).
 *
 * Two independent checks: a browser always sends `Origin` on such a cross-site POST, and it is refused unless it is
 * the emulator's own; and a body must be declared JSON, which a simple request cannot do. Tools and tests send no
 * `Origin` and are unaffected. The widget's completion endpoint is exempt from the origin check: the widget runs on
 * the app's page (another origin) and proves itself with the relay's access token.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { errorResponse, type EmulatorResponse } from './responses.js';

/** The endpoint the widget calls from the app's origin (CORS `*`). */
export const WIDGET_COMPLETE_PATH = '/_emulator/widget/complete';

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::']);

/** A control request as the guard sees it. */
export interface ControlRequest {
  readonly method: string;
  /** Path without the query. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly bodyLength: number;
}

/**
 * Origins the emulator serves its own pages from: its listen address and, when that is a loopback or wildcard
 * address, the usual loopback names, each with the port the connection came in on. Derived from the listen
 * address rather than the `Host` header, which a DNS-rebinding page controls.
 */
export function ownOrigins(listenHost: string, port: number): ReadonlySet<string> {
  const host = listenHost.includes(':') ? `[${listenHost}]` : listenHost;
  const local = LOOPBACK_NAMES.includes(host) || WILDCARD_HOSTS.has(listenHost);
  const names = local ? [host, ...LOOPBACK_NAMES] : [host];
  return new Set(names.map((name) => `http://${name}:${port}`));
}

/** 403 for a foreign `Origin`, 415 for a body not declared JSON; `undefined` when the request may run. */
export function refuseControlRequest(
  request: ControlRequest,
  origins: ReadonlySet<string>,
): EmulatorResponse | undefined {
  const origin = request.headers.origin;
  if (origin !== undefined && request.path !== WIDGET_COMPLETE_PATH && !origins.has(origin.toLowerCase())) {
    return errorResponse('forbidden_origin', `The control API only answers pages of the emulator itself, not ${origin}.`);
  }
  if (request.method === 'POST' && !declaresJsonOrNothing(request)) {
    return errorResponse('unsupported_media_type', 'Control requests with a body must send Content-Type: application/json.');
  }
  return undefined;
}

/** `Content-Type: application/json` (any parameters), or no type and no body (e.g. `POST /_emulator/reset`). */
function declaresJsonOrNothing({ headers, bodyLength }: ControlRequest): boolean {
  const type = headers['content-type'];
  if (type === undefined) return bodyLength === 0;
  return type.split(';')[0]!.trim().toLowerCase() === 'application/json';
}
