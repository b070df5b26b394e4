import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { RelayError, RelayErrorCode } from '../core/errors.js';
import type { RelayServices } from '../core/services/relay-services.js';
import { toErrorResponse } from './error-response.js';
import type { RouteResult } from './relay-routes.js';
import { RelayRoutes } from './relay-routes.js';
import type { ResolveSubject, ResolvedSubject, SubjectSource } from './subject.js';
import { resolveRequestSubject, userIdSubject } from './subject.js';
import type { SubjectCookieOptions } from './subject-cookie.js';
import { SubjectCookie } from './subject-cookie.js';

/** How requests map to subjects. */
export interface RelayHttpOptions {
  /** Default `req.user.id`. */
  readonly resolveSubject?: ResolveSubject;
  /** Give anonymous visitors a signed cookie as their subject (default true). */
  readonly anonymousVisitors?: boolean;
  readonly cookie?: SubjectCookieOptions;
}

/** A request as every adapter describes it to {@link RelayHttp.handle}. */
export interface RelayHttpRequest extends SubjectSource {
  readonly method: string;
  /** Path below the route prefix, without query: `/sessions`, `/sessions/<id>/claim`, … */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** Parsed JSON body (`undefined` when empty). */
  readonly body?: unknown;
}

/** What an adapter writes back: JSON body, status, optional `Set-Cookie`. */
export interface RelayHttpAnswer extends RouteResult {
  readonly setCookie?: string;
  /** For error answers, the error behind them (adapters that hand errors to the app's error handler use it). */
  readonly error?: unknown;
}

/**
 * The relay routes plus subject resolution: the single implementation behind
 * the NestJS controller and the Express, Fastify and `node:http` adapters.
 *
 * @example
 * ```ts
 * const http = new RelayHttp(services);
 * const answer = await http.handle({ method: 'POST', path: '/sessions', headers: req.headers, body: {} });
 * ```
 */
export class RelayHttp {
  readonly routes: RelayRoutes;
  private readonly cookie?: SubjectCookie;
  private readonly resolveSubject: ResolveSubject;

  constructor(services: RelayServices, options: RelayHttpOptions = {}) {
    this.routes = new RelayRoutes(services);
    this.resolveSubject = options.resolveSubject ?? userIdSubject;
    if (options.anonymousVisitors !== false) {
      // Without a configured secret each process signs with its own: fine for one instance only.
      const secret = services.options.cookieSecret ?? randomBytes(32).toString('base64url');
      this.cookie = new SubjectCookie(secret, options.cookie);
    }
  }

  /** The request's subject; with `create`, anonymous visitors get one (and a cookie to set). */
  subject(request: SubjectSource, create: boolean): ResolvedSubject {
    return resolveRequestSubject(request, { resolveSubject: this.resolveSubject, cookie: this.cookie, create });
  }

  /**
   * Serves one request; `undefined` when the path is not a relay route (the
   * adapter passes it on). Errors become their JSON answer, never a throw.
   */
  async handle(request: RelayHttpRequest): Promise<RelayHttpAnswer | undefined> {
    const route = matchRoute(request.method, request.path);
    if (!route) return undefined;
    let setCookie: string | undefined;
    try {
      if (request.method === 'POST') assertJsonContentType(request.headers['content-type']);
      if (route.name === 'listClaims') return await this.routes.listClaims(this.subject(request, false).subject);
      const resolved = this.subject(request, route.name === 'createSession');
      setCookie = resolved.setCookie;
      if (!resolved.subject) return { ...toErrorResponse(notFoundForAnonymous()), setCookie };
      const result = await this.run(route, resolved.subject, request.body);
      return { ...result, setCookie };
    } catch (error) {
      return { ...toErrorResponse(error), setCookie, error };
    }
  }

  private run(route: MatchedRoute, subject: string, body: unknown): Promise<RouteResult> {
    switch (route.name) {
      case 'createSession':
        return this.routes.createSession(subject, body);
      case 'getSession':
        return this.routes.getSession(subject, { sessionId: route.sessionId });
      case 'redeem':
        return this.routes.redeem(subject, { sessionId: route.sessionId }, body);
      case 'listClaims':
        return this.routes.listClaims(subject);
    }
  }
}

type MatchedRoute =
  | { readonly name: 'createSession' | 'listClaims' }
  | { readonly name: 'getSession' | 'redeem'; readonly sessionId: string };

/** Maps method + path below the prefix to a route. Session ids are validated later, with a 400. */
function matchRoute(method: string, path: string): MatchedRoute | undefined {
  const parts = path.split('/').filter((p) => p.length > 0);
  if (method === 'POST' && parts.length === 1 && parts[0] === 'sessions') return { name: 'createSession' };
  if (method === 'GET' && parts.length === 1 && parts[0] === 'claims') return { name: 'listClaims' };
  if (parts[0] !== 'sessions') return undefined;
  const sessionId = safeDecode(parts[1] ?? '');
  if (method === 'GET' && parts.length === 2) return { name: 'getSession', sessionId };
  if (method === 'POST' && parts.length === 3 && parts[2] === 'claim') return { name: 'redeem', sessionId };
  return undefined;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment; // invalid escapes fail the UUID check with a 400
  }
}

/**
 * POST routes take JSON only. Besides being the contract, this keeps plain
 * cross-site form posts (which cannot set this type without a CORS preflight)
 * from creating sessions, each of which costs a billed pass.
 */
function assertJsonContentType(contentType: string | undefined): void {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new RelayError(RelayErrorCode.UNSUPPORTED_MEDIA_TYPE, 'Send the request body as application/json');
  }
}

/** A request without a subject cannot own a session: the same answer as a stranger's session id. */
function notFoundForAnonymous(): RelayError {
  return new RelayError(RelayErrorCode.SESSION_NOT_FOUND, 'No such session');
}
