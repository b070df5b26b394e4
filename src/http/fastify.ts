import type { FastifyPluginAsync, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import type { SubjectClaim } from '../core/services/claim.service.js';
import { toErrorResponse } from './error-response.js';
import type { RelayAdapterOptions } from './node.js';
import { normalizePrefix } from './node.js';
import type { RelayHttpAnswer } from './relay-http.js';
import { RelayHttp } from './relay-http.js';
import { parseJsonBody } from './read-json-body.js';

/** Fastify stops reading past this; smaller oversized bodies get the shared 413 answer from `parseJsonBody`. */
const FASTIFY_BODY_LIMIT = 1024 * 1024;

declare module 'fastify' {
  interface FastifyRequest {
    /** The subject's passed claims, set by the `requireClaim` preHandler (null before). */
    relayClaims: SubjectClaim[] | null;
  }
}

/** Options of {@link relayPlugin}. */
export type RelayPluginOptions = RelayAdapterOptions;

/**
 * Fastify 5 plugin serving the relay routes, and decorating `request.relayClaims`.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { relayPlugin, requireClaim } from 'persona-relay/fastify';
 *
 * const app = Fastify();
 * await app.register(relayPlugin, { services });
 * app.get('/restricted', { preHandler: requireClaim({ services }, 'age_over18_verified') }, async () => ({ ok: true }));
 * ```
 */
export const relayPlugin = fp<RelayPluginOptions>(
  (async (fastify, options) => {
    const http = new RelayHttp(options.services, options);
    const prefix = normalizePrefix(options.prefix);
    fastify.decorateRequest('relayClaims', null);

    // The routes live in an encapsulated child context whose body parsers hand over raw text,
    // so empty, malformed and non-JSON bodies get the same answers as under every other adapter,
    // and the app's own parsers stay untouched.
    await fastify.register(async (routes) => {
      routes.removeAllContentTypeParsers();
      routes.addContentTypeParser('*', { parseAs: 'string', bodyLimit: FASTIFY_BODY_LIMIT }, (_request, text, done) =>
        done(null, text),
      );
      const serve = (method: 'GET' | 'POST', path: (request: FastifyRequest) => string) =>
        async (request: FastifyRequest, reply: FastifyReply) => {
          let answer: RelayHttpAnswer | undefined;
          try {
            const body = typeof request.body === 'string' ? parseJsonBody(request.body) : undefined;
            const user = (request as { user?: unknown }).user;
            answer = await http.handle({ method, path: path(request), headers: request.headers, body, user });
          } catch (error) {
            answer = toErrorResponse(error);
          }
          return send(reply, answer ?? toErrorResponse(undefined));
        };
      const sessionPath = (suffix: string) => (request: FastifyRequest) =>
        `/sessions/${encodeURIComponent((request.params as { sessionId: string }).sessionId)}${suffix}`;

      routes.post(`${prefix}/sessions`, serve('POST', () => '/sessions'));
      routes.get(`${prefix}/sessions/:sessionId`, serve('GET', sessionPath('')));
      routes.post(`${prefix}/sessions/:sessionId/claim`, serve('POST', sessionPath('/claim')));
      routes.get(`${prefix}/claims`, serve('GET', () => '/claims'));
    });
  }) satisfies FastifyPluginAsync<RelayPluginOptions>,
  { fastify: '5.x', name: 'persona-relay' },
);

/**
 * A preHandler admitting only subjects holding a passed claim of `claimType`
 * (their passed claims are left on `request.relayClaims`); otherwise 403
 * `{"code":"ERR_RELAY_CLAIM_REQUIRED","claimType":…}`.
 */
export function requireClaim(options: Omit<RelayAdapterOptions, 'prefix'>, claimType: string): preHandlerAsyncHookHandler {
  const http = new RelayHttp(options.services, options);
  return async function relayClaimCheck(request, reply) {
    try {
      const subject = http.subject(request, false).subject;
      await http.routes.requireClaim(subject, claimType);
      request.relayClaims = (await options.services.claims.claimsOf(subject!)).filter((c) => c.result === 'passed');
    } catch (error) {
      await send(reply, toErrorResponse(error));
    }
  };
}

function send(reply: FastifyReply, answer: RelayHttpAnswer): FastifyReply {
  if (answer.setCookie) reply.header('set-cookie', answer.setCookie);
  return reply
    .code(answer.status)
    .header('cache-control', 'no-store')
    .type('application/json; charset=utf-8')
    .send(JSON.stringify(answer.body));
}
