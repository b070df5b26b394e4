import type {
  FastifyError,
  FastifyInstance,
  FastifyPluginAsync,
  FastifyPluginOptions,
  FastifyReply,
  FastifyRequest,
  preHandlerAsyncHookHandler,
} from 'fastify';
import { isRelayError, RelayError, RelayErrorCode } from '../core/errors.js';
import type { RelayAdapterOptions } from './node.js';
import { readJsonBody } from './read-json-body.js';
import type { RelayClaims, RelayHttpAnswer } from './relay-http.js';
import { RelayHttp } from './relay-http.js';
import { normalizePrefix, RELAY_ROUTES, routePath } from './relay-paths.js';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The claims `requireClaim(claimType)` preHandlers checked on this
     * request, by claim type; `null` on routes without one.
     */
    relayClaims: RelayClaims | null;
  }
}

/** Options of {@link relayPlugin}. */
export type RelayPluginOptions = RelayAdapterOptions;

/** Where the plugin leaves its {@link RelayHttp} on the instance, for the preHandlers. */
const RELAY_HTTP = Symbol('persona-relay.http');
type WithRelay = FastifyInstance & { [RELAY_HTTP]?: RelayHttp };

/**
 * Fastify 5 plugin (not encapsulated, so its decorations reach the whole
 * app) serving the relay routes below `prefix` (default `/relay`):
 * `POST /sessions`, `GET /sessions/:sessionId`, `POST /sessions/:sessionId/claim`,
 * `GET /claims`. It decorates `request.relayClaims` up front (see
 * {@link requireClaim}). The routes read their JSON body themselves in an
 * encapsulated context, so the app's own content-type parsers are untouched
 * and every body gets the same answer as under the other adapters.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { relayPlugin, requireClaim } from 'persona-relay/fastify';
 *
 * const app = Fastify();
 * await app.register(relayPlugin, { services });
 * app.get('/restricted', { preHandler: requireClaim('age_over18_verified') }, async (request) => ({
 *   verifiedAt: request.relayClaims?.age_over18_verified?.verifiedAt,
 * }));
 * ```
 */
export const relayPlugin = sharedPlugin<RelayPluginOptions>(
  async (fastify, options) => {
    const http = new RelayHttp(options.services, options);
    const prefix = normalizePrefix(options.prefix);
    fastify.decorateRequest('relayClaims', null);
    fastify.decorate(RELAY_HTTP, http);

    await fastify.register(async (routes) => {
      // Hand every body over unread; RelayHttp decides (415, 413, 400) exactly as elsewhere.
      routes.removeAllContentTypeParsers();
      routes.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
      // Fastify's own complaints about a body (an unparsable Content-Type header, …) get our answers too.
      routes.setErrorHandler((error: FastifyError, _request, reply) => {
        if (!error.code?.startsWith('FST_ERR_CTP_')) throw error;
        return send(reply, http.errorAnswer(asRelayError(error)));
      });

      for (const route of RELAY_ROUTES) {
        routes.route({
          method: route.method,
          url: `${prefix}${route.path}`,
          handler: async (request, reply) => {
            const path = routePath(route.path, request.params as Record<string, string>);
            const stream = request.body as AsyncIterable<Uint8Array> | undefined;
            const answer = await http.handle({
              method: route.method,
              path,
              headers: request.headers,
              remoteAddress: request.raw.socket.remoteAddress,
              readBody: async () => (stream ? readJsonBody(stream) : undefined),
              native: request,
            });
            // Fastify's router also matches an empty `:sessionId` (`/sessions/`), which is no relay route.
            if (!answer) return reply.callNotFound();
            return send(reply, answer);
          },
        });
      }
    });
  },
  { fastify: '5.x', name: 'persona-relay' },
);

/**
 * Marks a plugin the way the `fastify-plugin` package does, through the
 * symbols Fastify itself reads: `skip-override` registers it in its parent's
 * context instead of a child one, `plugin-meta` has Fastify check its version
 * range, `fastify.display-name` names it in Fastify's errors. Done here so
 * apps need no package besides `fastify`.
 */
function sharedPlugin<Options extends FastifyPluginOptions>(
  plugin: FastifyPluginAsync<Options>,
  meta: { readonly fastify: string; readonly name: string },
): FastifyPluginAsync<Options> {
  return Object.assign(plugin, {
    [Symbol.for('skip-override')]: true,
    [Symbol.for('plugin-meta')]: meta,
    [Symbol.for('fastify.display-name')]: meta.name,
  });
}

/**
 * A preHandler admitting only subjects holding a passed claim of `claimType`;
 * the claim is left on `request.relayClaims[claimType]`. Otherwise 403
 * `{"code":"ERR_RELAY_CLAIM_REQUIRED","claimType":…,"message":…}`, the same
 * body as Nest's `@RequireClaim`. It uses the {@link relayPlugin} registered
 * on the route's instance (or an ancestor), so it can be created before the
 * plugin has loaded.
 */
export function requireClaim(claimType: string): preHandlerAsyncHookHandler {
  return async function relayClaimGuard(request: FastifyRequest, reply: FastifyReply) {
    const http = (request.server as WithRelay)[RELAY_HTTP];
    if (!http) throw new TypeError('requireClaim: register relayPlugin on this Fastify instance (or a parent) first');
    try {
      const claim = await http.requireClaim(request, claimType);
      request.relayClaims = { ...request.relayClaims, [claimType]: claim };
    } catch (error) {
      await send(reply, http.errorAnswer(error));
    }
  };
}

/** Fastify's body errors as the RelayErrors the other adapters raise for the same request. */
function asRelayError(error: FastifyError): RelayError {
  if (isRelayError(error)) return error;
  if (error.statusCode === 415) {
    return new RelayError(RelayErrorCode.UNSUPPORTED_MEDIA_TYPE, 'Send the request body as application/json');
  }
  if (error.statusCode === 413) return new RelayError(RelayErrorCode.PAYLOAD_TOO_LARGE, 'The request body is too large');
  return new RelayError(RelayErrorCode.INVALID_REQUEST, 'The request body could not be read');
}

function send(reply: FastifyReply, answer: RelayHttpAnswer): FastifyReply {
  if (answer.setCookie) reply.header('set-cookie', answer.setCookie);
  if (answer.retryAfterSeconds !== undefined) reply.header('retry-after', String(answer.retryAfterSeconds));
  return reply
    .code(answer.status)
    .header('cache-control', 'no-store')
    .type('application/json; charset=utf-8')
    .send(JSON.stringify(answer.body));
}

export type { RelayClaims } from './relay-http.js';
