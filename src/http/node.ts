import type { IncomingMessage, ServerResponse } from 'node:http';
import { RelayErrorCode } from '../core/errors.js';
import type { SubjectClaim } from '../core/services/claim.service.js';
import type { RelayServices } from '../core/services/relay-services.js';
import { RELAY_ERROR_STATUS } from './error-response.js';
import { readJsonBody } from './read-json-body.js';
import type { RelayHttpAnswer, RelayHttpOptions } from './relay-http.js';
import { RelayHttp } from './relay-http.js';
import { normalizePrefix, pathBelowPrefix } from './relay-paths.js';

/** Options of the Express, Fastify and `node:http` adapters. */
export interface RelayAdapterOptions extends RelayHttpOptions {
  /** The wired core (see `createRelayServices`). The adapter neither starts nor closes it. */
  readonly services: RelayServices;
  /** Route prefix (default `/relay`). */
  readonly prefix?: string;
}

/** A `node:http` request as the adapter reads it: `user` is whatever the app's authentication set. */
export type RelayNodeRequest = IncomingMessage & { user?: unknown };

/**
 * The relay routes as a `node:http` handler (see {@link createRelayHandler}),
 * with the claim guard bound to the same subject resolution.
 */
export interface RelayRequestHandler {
  /**
   * Serves a relay route; any other request goes to `next` with its body
   * unread, or gets a JSON 404 when there is no `next`.
   */
  (request: RelayNodeRequest, response: ServerResponse, next?: () => void): Promise<void>;
  /**
   * The claim guard for your own routes: resolves to the subject's passed
   * claim of `claimType`, or answers the request itself (403
   * `{"code":"ERR_RELAY_CLAIM_REQUIRED","claimType":…}`, or the error's JSON
   * answer) and resolves to `undefined`.
   */
  requireClaim(claimType: string): (request: RelayNodeRequest, response: ServerResponse) => Promise<SubjectClaim | undefined>;
  /** The framework-neutral core of the routes (subject resolution, `requireClaim` that rejects). */
  readonly http: RelayHttp;
}

/**
 * The relay routes (`POST /relay/sessions`, `GET /relay/sessions/:id`,
 * `POST /relay/sessions/:id/claim`, `GET /relay/claims`) as a plain
 * `node:http` handler. It reads the JSON body itself; the subject is
 * `req.user.id` when your code set `req.user`, else the signed visitor
 * cookie. Set `headersTimeout` and `requestTimeout` on your server well below
 * Node's defaults (60 s, 300 s), or a slow client holds a connection for minutes.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { createRelayHandler } from 'persona-relay';
 *
 * const relay = createRelayHandler({ services });
 * const requireAdult = relay.requireClaim('age_over18_verified');
 *
 * createServer(async (req, res) => {
 *   if (req.url === '/restricted') {
 *     const claim = await requireAdult(req, res); // answered 403 when missing
 *     if (claim) res.end(`verified at ${claim.verifiedAt.toISOString()}`);
 *     return;
 *   }
 *   await relay(req, res, () => {
 *     res.statusCode = 404;
 *     res.end();
 *   });
 * }).listen(3000);
 * ```
 */
export function createRelayHandler(options: RelayAdapterOptions): RelayRequestHandler {
  const http = new RelayHttp(options.services, options);
  const prefix = normalizePrefix(options.prefix);
  const handler = async (request: RelayNodeRequest, response: ServerResponse, next?: () => void): Promise<void> => {
    const path = pathBelowPrefix(request.url ?? '/', prefix);
    const answer =
      path === undefined
        ? undefined
        : await http.handle({
            method: request.method ?? 'GET',
            path,
            headers: request.headers,
            remoteAddress: request.socket.remoteAddress,
            readBody: () => readJsonBody(request),
            native: request,
          });
    if (answer) return writeAnswer(response, answer);
    if (next) return next();
    writeAnswer(response, {
      status: RELAY_ERROR_STATUS[RelayErrorCode.ROUTE_NOT_FOUND],
      body: { code: RelayErrorCode.ROUTE_NOT_FOUND, message: 'Not found' },
    });
  };
  const requireClaim = (claimType: string) => async (request: RelayNodeRequest, response: ServerResponse) => {
    try {
      return await http.requireClaim(request, claimType);
    } catch (error) {
      writeAnswer(response, http.errorAnswer(error));
      return undefined;
    }
  };
  return Object.assign(handler, { requireClaim, http });
}

/**
 * The claim guard as a function that rejects instead of answering, for places
 * without a response to write (a WebSocket upgrade, your own error handling):
 * resolves to the subject's passed claim of `claimType`, or rejects with
 * `RelayError(CLAIM_REQUIRED)`; `toErrorResponse` turns that into the 403.
 * It shares the handler's subject resolution, cookie secret included.
 *
 * @example
 * ```ts
 * const relay = createRelayHandler({ services });
 * const checkAdult = createClaimCheck(relay, 'age_over18_verified');
 * server.on('upgrade', (req, socket) => {
 *   checkAdult(req).then(() => acceptWebSocket(req, socket), () => socket.destroy());
 * });
 * ```
 */
export function createClaimCheck(
  relay: Pick<RelayRequestHandler, 'http'>,
  claimType: string,
): (request: RelayNodeRequest) => Promise<SubjectClaim> {
  return (request) => relay.http.requireClaim(request, claimType);
}

/**
 * Writes a relay answer as JSON. `Cache-Control: no-store` because answers
 * carry access tokens and claims; the visitor cookie is appended so cookies
 * the app set earlier survive. A 429 or 503 says when to retry (`Retry-After`) when it can.
 */
export function writeAnswer(response: ServerResponse, answer: RelayHttpAnswer): void {
  const body = JSON.stringify(answer.body);
  response.statusCode = answer.status;
  response.setHeader('Content-Type', 'application/json; charset=utf-8');
  response.setHeader('Cache-Control', 'no-store');
  response.setHeader('Content-Length', Buffer.byteLength(body));
  if (answer.setCookie) response.appendHeader('Set-Cookie', answer.setCookie);
  if (answer.retryAfterSeconds !== undefined) response.setHeader('Retry-After', String(answer.retryAfterSeconds));
  response.end(body);
}
