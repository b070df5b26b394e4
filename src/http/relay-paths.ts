/**
 * The relay routes as data, and the path arithmetic every adapter shares:
 * which route a method + path below the prefix names, and where the prefix
 * ends. Kept apart from the handlers so the matching rules can be tested
 * (and read) on their own.
 */

import { withoutEdgeSlashes } from '../core/config/slashes.js';

/** Names of the relay routes. */
export type RelayRouteName = 'createSession' | 'getSession' | 'redeem' | 'listClaims';

/** One relay route: method and path pattern below the prefix (`:sessionId` is the only parameter). */
export interface RelayRouteDefinition {
  readonly name: RelayRouteName;
  readonly method: 'GET' | 'POST';
  readonly path: string;
}

/**
 * The routes of the HTTP contract, below the prefix. Adapters whose framework
 * routes by pattern (Fastify) register exactly these; the others match with
 * {@link matchRoute}.
 */
export const RELAY_ROUTES: readonly RelayRouteDefinition[] = [
  { name: 'createSession', method: 'POST', path: '/sessions' },
  { name: 'getSession', method: 'GET', path: '/sessions/:sessionId' },
  { name: 'redeem', method: 'POST', path: '/sessions/:sessionId/claim' },
  { name: 'listClaims', method: 'GET', path: '/claims' },
];

/** A matched route; the session id is still untrusted (the route validates it and answers 400). */
export type MatchedRoute =
  | { readonly name: 'createSession' | 'listClaims' }
  | { readonly name: 'getSession' | 'redeem'; readonly sessionId: string };

/**
 * The route that `method` + `path` (below the prefix, no query) names, or
 * `undefined` when it names none, so the adapter passes the request on to the
 * app. Matching is exact: no trailing slash, no empty segments, case-sensitive,
 * the same as the route patterns Fastify and Nest register.
 */
export function matchRoute(method: string, path: string): MatchedRoute | undefined {
  const segments = path.split('/');
  // A path below the prefix starts with '/', so the first segment is always ''.
  if (segments[0] !== '' || segments.slice(1).some((s) => s.length === 0)) return undefined;
  const [, first, sessionId, last] = segments;
  if (segments.length === 2) {
    if (method === 'POST' && first === 'sessions') return { name: 'createSession' };
    if (method === 'GET' && first === 'claims') return { name: 'listClaims' };
    return undefined;
  }
  if (first !== 'sessions' || sessionId === undefined) return undefined;
  if (segments.length === 3 && method === 'GET') return { name: 'getSession', sessionId: safeDecode(sessionId) };
  if (segments.length === 4 && method === 'POST' && last === 'claim') {
    return { name: 'redeem', sessionId: safeDecode(sessionId) };
  }
  return undefined;
}

/**
 * A route's path below the prefix with its parameters filled in (encoded),
 * for adapters whose framework already split the path into parameters.
 */
export function routePath(pattern: string, params: Readonly<Record<string, string | undefined>>): string {
  return pattern.replace(/:([A-Za-z]+)/g, (_, name: string) => encodeURIComponent(params[name] ?? ''));
}

/**
 * The canonical form of a route prefix: leading slash, no trailing slash,
 * `''` for the root.
 */
export function normalizePrefix(prefix = '/relay'): string {
  const trimmed = withoutEdgeSlashes(prefix);
  return trimmed ? `/${trimmed}` : '';
}

/**
 * The path below `prefix` (query dropped), or `undefined` when `url` is
 * outside it. `/relayx` is outside `/relay`; `/relay` itself is `/`.
 */
export function pathBelowPrefix(url: string, prefix: string): string | undefined {
  const path = url.split('?', 1)[0] ?? '';
  if (path === prefix) return '/';
  return path.startsWith(`${prefix}/`) ? path.slice(prefix.length) : undefined;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment; // an invalid escape fails the session id check with a 400
  }
}
