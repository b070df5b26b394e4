import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SubjectClaim } from '../core/services/claim.service.js';
import { toErrorResponse } from './error-response.js';
import type { RelayAdapterOptions } from './node.js';
import { normalizePrefix, pathBelowPrefix, writeAnswer } from './node.js';
import { readJsonBody } from './read-json-body.js';
import { RelayHttp } from './relay-http.js';

/** Options of {@link relayRouter}. */
export interface RelayRouterOptions extends RelayAdapterOptions {
  /** Answer errors as JSON here instead of passing them to `next(err)` (default false). */
  readonly handleErrors?: boolean;
}

/** The Express request/response surface used here (Express 4 and 5 alike). */
type ExpressRequest = IncomingMessage & { body?: unknown; user?: unknown; relayClaim?: SubjectClaim; url: string };
type ExpressNext = (error?: unknown) => void;
type ExpressMiddleware = (request: ExpressRequest, response: ServerResponse, next: ExpressNext) => void;

/**
 * Express middleware serving the relay routes (`/relay/sessions`, …). Uses
 * `req.body` when a body parser ran, otherwise reads the JSON body itself.
 * Works with Express 4 and 5.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { relayRouter, requireClaim } from 'persona-relay/express';
 *
 * const app = express();
 * app.use(relayRouter({ services, handleErrors: true }));
 * app.get('/restricted', requireClaim({ services }, 'age_over18_verified'), (req, res) => res.json({ ok: true }));
 * ```
 */
export function relayRouter(options: RelayRouterOptions): ExpressMiddleware {
  const http = new RelayHttp(options.services, options);
  const prefix = normalizePrefix(options.prefix);
  return (request, response, next) => {
    const path = pathBelowPrefix(request.url, prefix);
    if (path === undefined) return next();
    void (async () => {
      const body = request.method === 'POST' && request.body === undefined ? await readJsonBody(request) : request.body;
      const answer = await http.handle({ method: request.method ?? 'GET', path, headers: request.headers, body, user: request.user });
      if (!answer) return next();
      if (answer.error !== undefined && !options.handleErrors) {
        if (answer.setCookie) response.appendHeader('Set-Cookie', answer.setCookie);
        return next(answer.error);
      }
      writeAnswer(response, answer);
    })().catch((error: unknown) => (options.handleErrors ? writeAnswer(response, toErrorResponse(error)) : next(error)));
  };
}

/**
 * Express middleware admitting only subjects holding a passed claim of
 * `claimType` (the claim is left on `req.relayClaim`); otherwise 403
 * `{"code":"ERR_RELAY_CLAIM_REQUIRED","claimType":…}`.
 */
export function requireClaim(options: Omit<RelayAdapterOptions, 'prefix'>, claimType: string): ExpressMiddleware {
  const http = new RelayHttp(options.services, options);
  return (request, response, next) => {
    http.routes
      .requireClaim(http.subject(request, false).subject, claimType)
      .then((claim) => {
        request.relayClaim = claim;
        next();
      })
      .catch((error: unknown) => writeAnswer(response, toErrorResponse(error)));
  };
}
