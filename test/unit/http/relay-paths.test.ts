import { describe, expect, it } from 'vitest';
import { matchRoute, normalizePrefix, pathBelowPrefix, RELAY_ROUTES, routePath } from '../../../src/http/relay-paths.js';

const ID = '0b6f6a1e-8f3c-4d2a-9b1e-2c3d4e5f6a7b';

describe('matchRoute', () => {
  it('names the four routes of the contract', () => {
    expect(matchRoute('POST', '/sessions')).toEqual({ name: 'createSession' });
    expect(matchRoute('GET', `/sessions/${ID}`)).toEqual({ name: 'getSession', sessionId: ID });
    expect(matchRoute('POST', `/sessions/${ID}/claim`)).toEqual({ name: 'redeem', sessionId: ID });
    expect(matchRoute('GET', '/claims')).toEqual({ name: 'listClaims' });
  });

  it('leaves other methods, paths, trailing slashes, empty segments and other cases to the app', () => {
    for (const [method, path] of [
      ['GET', '/sessions'],
      ['PUT', '/sessions'],
      ['HEAD', '/claims'],
      ['POST', '/claims'],
      ['POST', `/sessions/${ID}`],
      ['GET', `/sessions/${ID}/claim`],
      ['POST', `/sessions/${ID}/claims`],
      ['POST', `/sessions/${ID}/claim/x`],
      ['POST', '/sessions/'],
      ['GET', '/claims/'],
      ['GET', '/sessions//claim'],
      ['POST', '//sessions'],
      ['GET', '/Claims'],
      ['GET', '/'],
      ['GET', ''],
      ['GET', 'claims'],
    ] as const) {
      expect(matchRoute(method, path), `${method} ${path}`).toBeUndefined();
    }
  });

  it('decodes the session id, and keeps an invalid escape as is for the 400', () => {
    expect(matchRoute('GET', '/sessions/a%20b')).toEqual({ name: 'getSession', sessionId: 'a b' });
    expect(matchRoute('GET', '/sessions/%E0%A4%A')).toEqual({ name: 'getSession', sessionId: '%E0%A4%A' });
  });

  it('agrees with RELAY_ROUTES and routePath', () => {
    for (const route of RELAY_ROUTES) {
      expect(matchRoute(route.method, routePath(route.path, { sessionId: ID }))?.name).toBe(route.name);
    }
  });
});

describe('routePath', () => {
  it('fills parameters in, encoded', () => {
    expect(routePath('/sessions/:sessionId/claim', { sessionId: 'a/b' })).toBe('/sessions/a%2Fb/claim');
    expect(routePath('/claims', {})).toBe('/claims');
  });
});

describe('normalizePrefix', () => {
  it('gives a leading slash and no trailing one; the root is empty', () => {
    expect(normalizePrefix()).toBe('/relay');
    expect(normalizePrefix('relay')).toBe('/relay');
    expect(normalizePrefix('/api/relay/')).toBe('/api/relay');
    expect(normalizePrefix('//relay//')).toBe('/relay');
    expect(normalizePrefix('/')).toBe('');
    expect(normalizePrefix('')).toBe('');
  });
});

describe('pathBelowPrefix', () => {
  it('strips the prefix and the query', () => {
    expect(pathBelowPrefix('/relay/sessions', '/relay')).toBe('/sessions');
    expect(pathBelowPrefix('/relay/claims?x=1&y=/relay', '/relay')).toBe('/claims');
    expect(pathBelowPrefix('/relay', '/relay')).toBe('/');
    expect(pathBelowPrefix('/relay?x', '/relay')).toBe('/');
    expect(pathBelowPrefix('/api/relay/claims', '/api/relay')).toBe('/claims');
  });

  it('is undefined outside the prefix, including look-alikes', () => {
    expect(pathBelowPrefix('/relayx/sessions', '/relay')).toBeUndefined();
    expect(pathBelowPrefix('/other', '/relay')).toBeUndefined();
    expect(pathBelowPrefix('/', '/relay')).toBeUndefined();
    expect(pathBelowPrefix('/api/relay/claims', '/relay')).toBeUndefined();
  });

  it('passes every path through under the root prefix', () => {
    expect(pathBelowPrefix('/sessions?x', '')).toBe('/sessions');
    expect(pathBelowPrefix('/', '')).toBe('/');
  });
});
