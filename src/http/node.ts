import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SubjectClaim } from '../core/services/claim.service.js';
import type { RelayServices } from '../core/services/relay-services.js';
import { toErrorResponse } from './error-response.js';
import type { RelayHttpAnswer, RelayHttpOptions } from './relay-http.js';
import { RelayHttp } from './relay-http.js';
import { readJsonBody } from './read-json-body.js';

/** Options of the framework adapters. */
export interface RelayAdapterOptions extends RelayHttpOptions {
  /** The wired core (see `createRelayServices`). */
  readonly services: RelayServices;
  /** Route prefix (default `/relay`). */
  readonly prefix?: string;
}

/** A `node:http` request handler; `next` is called for paths that are not relay routes. */
export type RelayRequestHandler = (request: IncomingMessage, response: ServerResponse, next?: () => void) => Promise<void>;

/**
 * The relay routes as a plain `node:http` handler. Paths outside the prefix
 * (or unknown below it) go to `next`, or get a 404 when there is none.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { createRelayHandler } from 'persona-relay';
 *
 * const relay = createRelayHandler({ services });
 * createServer((req, res) => relay(req, res, () => { res.statusCode = 404; res.end(); })).listen(3000);
 * ```
 */
export function createRelayHandler(options: RelayAdapterOptions): RelayRequestHandler {
  const http = new RelayHttp(options.services, options);
  const prefix = normalizePrefix(options.prefix);
  return async (request, response, next) => {
    const path = pathBelowPrefix(request.url ?? '/', prefix);
    let answer: RelayHttpAnswer | undefined;
    if (path !== undefined) {
      try {
        const body = request.method === 'POST' ? await readJsonBody(request) : undefined;
        answer = await http.handle({ method: request.method ?? 'GET', path, headers: request.headers, body, user: (request as { user?: unknown }).user });
      } catch (error) {
        answer = toErrorResponse(error);
      }
    }
    if (answer) return writeAnswer(response, answer);
    if (next) return next();
    writeAnswer(response, { status: 404, body: { code: 'ERR_RELAY_ROUTE_NOT_FOUND', message: 'Not found' } });
  };
}

/**
 * The `@RequireClaim` guard as a function: resolves to the subject's passed
 * claim of `claimType`, or rejects with `RelayError(CLAIM_REQUIRED)` (answer it
 * with `toErrorResponse`: 403 `{"code":"ERR_RELAY_CLAIM_REQUIRED","claimType":…}`).
 *
 * @example
 * ```ts
 * const requireAdult = createClaimCheck({ services }, 'age_over18_verified');
 * const claim = await requireAdult(req);
 * ```
 */
export function createClaimCheck(
  options: Omit<RelayAdapterOptions, 'prefix'>,
  claimType: string,
): (request: IncomingMessage & { user?: unknown }) => Promise<SubjectClaim> {
  const http = new RelayHttp(options.services, options);
  return (request) => http.routes.requireClaim(http.subject(request, false).subject, claimType);
}

/** Writes a relay answer as JSON (`Cache-Control: no-store`: answers carry access tokens and claims). */
export function writeAnswer(response: ServerResponse, answer: RelayHttpAnswer): void {
  const body = JSON.stringify(answer.body);
  response.statusCode = answer.status;
  response.setHeader('Content-Type', 'application/json; charset=utf-8');
  response.setHeader('Cache-Control', 'no-store');
  response.setHeader('Content-Length', Buffer.byteLength(body));
  if (answer.setCookie) response.appendHeader('Set-Cookie', answer.setCookie);
  response.end(body);
}

/** `/relay` from `relay`, `/relay/` or `/relay`. */
export function normalizePrefix(prefix = '/relay'): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  return trimmed ? `/${trimmed}` : '';
}

/** The path below `prefix` (query dropped), or undefined when `url` is outside it. */
export function pathBelowPrefix(url: string, prefix: string): string | undefined {
  const path = url.split('?')[0] ?? '/';
  if (path === prefix) return '/';
  return path.startsWith(`${prefix}/`) ? path.slice(prefix.length) : undefined;
}
