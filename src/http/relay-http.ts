import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { RelayError, RelayErrorCode } from '../core/errors.js';
import type { RelayLogger } from '../core/logger.js';
import { createConsoleLogger, describeError } from '../core/logger.js';
import type { SubjectClaim } from '../core/services/claim.service.js';
import type { RelayServices } from '../core/services/relay-services.js';
import { clientAddressKey, compileTrustProxy, type TrustProxyCheck } from './client-address.js';
import { retryAfterSeconds, toErrorResponse } from './error-response.js';
import { assertDeclaredLength, parsedBody } from './read-json-body.js';
import type { MatchedRoute } from './relay-paths.js';
import { matchRoute } from './relay-paths.js';
import type { RouteResult } from './relay-routes.js';
import { RelayRoutes } from './relay-routes.js';
import type { ResolveSubject, ResolvedSubject, SubjectSource } from './subject.js';
import { resolveRequestSubject, userIdSubject } from './subject.js';
import type { SubjectCookieOptions } from './subject-cookie.js';
import { SubjectCookie } from './subject-cookie.js';

/** How requests map to subjects, and where server errors are logged. */
export interface RelayHttpOptions {
  /** Maps a request to its subject. Default: `req.user.id`. */
  readonly resolveSubject?: ResolveSubject;
  /** Give anonymous visitors a signed cookie as their subject (default true). */
  readonly anonymousVisitors?: boolean;
  readonly cookie?: SubjectCookieOptions;
  /**
   * Where unexpected errors behind a 5xx answer are logged (secret-free: name,
   * code, message). Default: a console logger.
   */
  readonly logger?: RelayLogger;
}

/** A request as every adapter describes it to {@link RelayHttp.handle}. */
export interface RelayHttpRequest extends SubjectSource {
  readonly method: string;
  /** Path below the route prefix, without query: `/sessions`, `/sessions/<id>/claim`, … */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /**
   * The connection's remote address (`socket.remoteAddress`): the client the
   * per-client limit counts, unless the `trustProxy` option vouches for an
   * address in `X-Forwarded-For`. Requests without one share one limit.
   */
  readonly remoteAddress?: string;
  /**
   * The body if the framework already parsed it (JSON object, or text/bytes
   * that are parsed here); `undefined` when empty or not read yet.
   */
  readonly body?: unknown;
  /**
   * Reads the body from the request stream. Called only for a relay POST route
   * whose content type and declared length passed, so a request that is not
   * ours is never consumed. Takes precedence over `body`.
   */
  readonly readBody?: () => Promise<unknown>;
  /**
   * The framework's own request object, handed to `resolveSubject` so it can
   * read whatever the app's authentication left there (default: this object).
   */
  readonly native?: SubjectSource;
}

/** The claims the guards checked on one request, by claim type (`req.relayClaims` in Express and Fastify). */
export type RelayClaims = Readonly<Record<string, SubjectClaim>>;

/** What an adapter writes back: JSON body, status, optional `Set-Cookie` and `Retry-After`. */
export interface RelayHttpAnswer extends RouteResult {
  readonly setCookie?: string;
  /** `Retry-After` in seconds, on a 429 or 503 whose error says when to retry. */
  readonly retryAfterSeconds?: number;
  /** For error answers, the error behind them (adapters that hand errors to the app's error handler use it). */
  readonly error?: unknown;
}

/**
 * The relay routes plus subject resolution: the single implementation behind
 * the NestJS controller and the Express, Fastify and `node:http` adapters,
 * which only translate their request to a {@link RelayHttpRequest} and the
 * {@link RelayHttpAnswer} back.
 */
export class RelayHttp {
  readonly routes: RelayRoutes;
  private readonly cookie?: SubjectCookie;
  private readonly resolveSubject: ResolveSubject;
  private readonly logger: RelayLogger;
  private readonly trustProxy: TrustProxyCheck;

  constructor(services: RelayServices, options: RelayHttpOptions = {}) {
    this.routes = new RelayRoutes(services);
    this.trustProxy = compileTrustProxy(services.options.trustProxy);
    this.resolveSubject = options.resolveSubject ?? userIdSubject;
    this.logger = options.logger ?? createConsoleLogger();
    if (options.anonymousVisitors !== false) {
      // Without a configured secret each RelayHttp signs with its own: fine for one instance only,
      // and the reason guards must come from the same adapter object as the routes.
      const secret = services.options.cookieSecret ?? randomBytes(32).toString('base64url');
      this.cookie = new SubjectCookie(secret, options.cookie);
    }
  }

  /** The request's subject; with `create`, anonymous visitors get one (and a cookie to set). */
  subject(request: SubjectSource, create: boolean): ResolvedSubject {
    return resolveRequestSubject(request, { resolveSubject: this.resolveSubject, cookie: this.cookie, create });
  }

  /**
   * The guard as a function: the subject's passed claim of `claimType`, or a
   * rejection with `RelayError(CLAIM_REQUIRED)` (answered 403
   * `{"code":"ERR_RELAY_CLAIM_REQUIRED","claimType":…}` by {@link toErrorResponse}).
   */
  requireClaim(request: SubjectSource, claimType: string): Promise<SubjectClaim> {
    return this.routes.requireClaim(this.subject(request, false).subject, claimType);
  }

  /**
   * Serves one request; `undefined` when method + path is not a relay route
   * (the adapter passes the request on, its body unread). Errors become their
   * JSON answer, never a throw.
   */
  async handle(request: RelayHttpRequest): Promise<RelayHttpAnswer | undefined> {
    const route = matchRoute(request.method, request.path);
    if (!route) return undefined;
    let setCookie: string | undefined;
    try {
      const body = request.method === 'POST' ? await this.body(request) : undefined;
      // Only session creation gives a new visitor an identity; reading needs one already.
      const resolved = this.subject(request.native ?? request, route.name === 'createSession');
      setCookie = resolved.setCookie;
      return { ...(await this.run(route, resolved.subject, body, request)), setCookie };
    } catch (error) {
      return { ...this.errorAnswer(error), setCookie };
    }
  }

  /**
   * The JSON answer for an error thrown while serving a relay request
   * (route or guard). Errors behind a 5xx answer are logged, since the
   * answer itself says nothing about them.
   */
  errorAnswer(error: unknown): RelayHttpAnswer {
    const answer = toErrorResponse(error);
    if (answer.status >= 500) this.logger.error('relay request failed', describeError(error));
    return { ...answer, retryAfterSeconds: retryAfterSeconds(error), error };
  }

  /**
   * The checks every POST body goes through in the same order under every
   * adapter: media type (415), declared size (413), then reading and parsing.
   */
  private async body(request: RelayHttpRequest): Promise<unknown> {
    assertJsonContentType(request.headers['content-type']);
    assertDeclaredLength(firstHeader(request.headers['content-length']));
    return request.readBody ? request.readBody() : parsedBody(request.body);
  }

  private run(route: MatchedRoute, subject: string | undefined, body: unknown, request: RelayHttpRequest): Promise<RouteResult> {
    switch (route.name) {
      case 'createSession':
        return this.routes.createSession(subject, body, clientAddressKey(request.remoteAddress, request.headers, this.trustProxy));
      case 'getSession':
        return this.routes.getSession(subject, { sessionId: route.sessionId });
      case 'redeem':
        return this.routes.redeem(subject, { sessionId: route.sessionId }, body);
      case 'listClaims':
        return this.routes.listClaims(subject);
    }
  }
}

/**
 * POST routes take JSON only. Besides being the contract, this keeps plain
 * cross-site form posts (which cannot set this type without a CORS preflight)
 * from creating sessions, each of which costs a billed pass.
 */
function assertJsonContentType(contentType: string | undefined): void {
  const type = contentType?.split(';', 1)[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new RelayError(RelayErrorCode.UNSUPPORTED_MEDIA_TYPE, 'Send the request body as application/json');
  }
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
