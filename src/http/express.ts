import type { IncomingMessage, ServerResponse } from 'node:http';
import { isRelayError, RelayErrorCode } from '../core/errors.js';
import type { RelayAdapterOptions } from './node.js';
import { writeAnswer } from './node.js';
import { readJsonBody } from './read-json-body.js';
import type { RelayClaims, RelayHttpAnswer } from './relay-http.js';
import { RelayHttp } from './relay-http.js';
import { normalizePrefix, pathBelowPrefix } from './relay-paths.js';

declare global {
  // Merges into Express's own `Request` type when `@types/express` is present; harmless otherwise.
  namespace Express {
    interface Request {
      /** Set by `relay.requireClaim(claimType)`: the claims it checked, by claim type. */
      relayClaims?: RelayClaims;
    }
  }
}

/** Options of {@link relayRouter}. */
export interface RelayRouterOptions extends RelayAdapterOptions {
  /**
   * Answer errors (bad requests, unknown sessions, Persona failures, …) with
   * their JSON error body here instead of passing them to `next(err)`.
   * Default false: your error handler sees the `RelayError` and can answer it
   * with `toErrorResponse(err)` from `persona-relay`.
   */
  readonly handleErrors?: boolean;
}

/**
 * The Express request as used here: only `node:http` fields plus `body` (set
 * by a body parser, if one ran) and `user` (set by authentication), which
 * Express 4 and 5 share.
 */
export type RelayExpressRequest = IncomingMessage & { body?: unknown; user?: unknown; relayClaims?: RelayClaims };
/** Express's `next`. */
export type RelayExpressNext = (error?: unknown) => void;
/** An Express middleware, typed structurally so any Express version's app accepts it. */
export type RelayExpressMiddleware = (request: RelayExpressRequest, response: ServerResponse, next: RelayExpressNext) => void;

/** The relay routes as Express middleware, with the claim guard bound to it (see {@link relayRouter}). */
export interface RelayRouter extends RelayExpressMiddleware {
  /**
   * Middleware admitting only subjects holding a passed claim of `claimType`;
   * the claim is left on `req.relayClaims[claimType]`. Otherwise 403
   * `{"code":"ERR_RELAY_CLAIM_REQUIRED","claimType":…,"message":…}`, the same
   * body as Nest's `@RequireClaim`. Other errors follow `handleErrors`.
   */
  requireClaim(claimType: string): RelayExpressMiddleware;
  /** The framework-neutral core of the routes (subject resolution, a `requireClaim` that rejects). */
  readonly http: RelayHttp;
}

/**
 * Express middleware serving the relay routes below `prefix` (default
 * `/relay`, relative to where it is mounted): `POST /sessions`,
 * `GET /sessions/:sessionId`, `POST /sessions/:sessionId/claim`,
 * `GET /claims`. Any other request passes on untouched, body unread. Uses
 * `req.body` when a body parser ran, otherwise reads the JSON body itself.
 * Works with Express 4 and 5: it uses only `node:http` APIs, `req.body` and
 * `req.user`, and never rejects a promise into Express.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { relayRouter } from 'persona-relay/express';
 *
 * const relay = relayRouter({ services, handleErrors: true });
 * const app = express();
 * app.use(relay);
 * app.get('/restricted', relay.requireClaim('age_over18_verified'), (req, res) => {
 *   res.json({ verifiedAt: req.relayClaims?.age_over18_verified?.verifiedAt });
 * });
 * ```
 */
export function relayRouter(options: RelayRouterOptions): RelayRouter {
  const http = new RelayHttp(options.services, options);
  const prefix = normalizePrefix(options.prefix);

  // Errors reach the app's error handler unless told to answer them here; the
  // visitor cookie of a failed session creation is kept either way.
  const answerOrPass = (answer: RelayHttpAnswer, response: ServerResponse, next: RelayExpressNext) => {
    if (answer.error === undefined || options.handleErrors) return writeAnswer(response, answer);
    if (answer.setCookie) response.appendHeader('Set-Cookie', answer.setCookie);
    if (answer.retryAfterSeconds !== undefined) response.setHeader('Retry-After', String(answer.retryAfterSeconds));
    next(answer.error);
  };

  const router: RelayExpressMiddleware = (request, response, next) => {
    const path = pathBelowPrefix(request.url ?? '/', prefix);
    if (path === undefined) return next();
    http
      .handle({
        method: request.method ?? 'GET',
        path,
        headers: request.headers,
        remoteAddress: request.socket.remoteAddress,
        body: request.body,
        // `req.body` stays undefined when no body parser ran; the stream is then still unread.
        readBody: request.body === undefined ? () => readJsonBody(request) : undefined,
        native: request,
      })
      .then((answer) => (answer ? answerOrPass(answer, response, next) : next()))
      .catch(next); // only a failure while writing the answer gets here
  };

  const requireClaim = (claimType: string): RelayExpressMiddleware => (request, response, next) => {
    http
      .requireClaim(request, claimType)
      .then(
        (claim) => {
          request.relayClaims = { ...request.relayClaims, [claimType]: claim };
          next();
        },
        (error: unknown) => {
          const answer = http.errorAnswer(error);
          // The 403 is the guard's answer, as under Nest; anything else is an error like the routes'.
          if (isRelayError(error, RelayErrorCode.CLAIM_REQUIRED)) writeAnswer(response, answer);
          else answerOrPass(answer, response, next);
        },
      )
      .catch(next);
  };

  return Object.assign(router, { requireClaim, http });
}

export type { RelayClaims } from './relay-http.js';
