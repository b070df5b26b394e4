/**
 * fast-check arbitraries for requests to the relay routes and their near
 * misses: methods, request-targets (garbled paths, session ids with `%`
 * escapes, very long or unicode ids), headers (content types, huge and
 * garbage cookies, duplicates) and bodies (random JSON, huge, truncated,
 * wrong media types, invalid UTF-8, `__proto__`).
 */
import fc from 'fast-check';
import type { RawRequest } from './raw-http.js';

/** Sessions, visitors and users that exist in the app under test, so requests can hit real ids and cookies. */
export interface FuzzWorld {
  readonly sessionIds: readonly string[];
  /** `relay_sid=…` pairs of real visitors. */
  readonly cookies: readonly string[];
  /** Values of the test's authentication header that own sessions. */
  readonly users: readonly string[];
  readonly allowedClaimTypes: readonly string[];
}

/** A generated request plus what it is, for the checks and the counterexample report. */
export interface FuzzRequest extends RawRequest {
  /** Strings from the request (ids, header values, body values) that no error message may repeat. */
  readonly fragments: readonly string[];
  /** True when the request is malformed at the HTTP level (the server may just close the connection). */
  readonly malformedHttp: boolean;
}

const STANDARD_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'] as const;

const method = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom('GET', 'POST') },
  { weight: 3, arbitrary: fc.constantFrom(...STANDARD_METHODS) },
  { weight: 1, arbitrary: fc.constantFrom('post', 'Get', 'TRACE', 'PROPFIND', 'SEARCH', 'PURGE') },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Z]{1,12}$/) },
);

/** Path segments a session id can be replaced by. */
function sessionIdSegment(world: FuzzWorld): fc.Arbitrary<string> {
  const real = fc.constantFrom(...world.sessionIds);
  return fc.oneof(
    { weight: 6, arbitrary: real },
    { weight: 3, arbitrary: fc.uuid({ version: 4 }) },
    { weight: 1, arbitrary: fc.uuid() },
    { weight: 1, arbitrary: real.map((id) => id.toUpperCase()) },
    // The real id with one character replaced: a near-guess.
    {
      weight: 2,
      arbitrary: fc
        .tuple(real, fc.nat(35), fc.constantFrom(...'0123456789abcdef-gZ%'))
        .map(([id, at, c]) => `${id.slice(0, at)}${c}${id.slice(at + 1)}`),
    },
    // The real id percent-encoded, wholly or partly (it decodes back to the real id).
    {
      weight: 1,
      arbitrary: fc
        .tuple(real, fc.nat(36))
        .map(([id, n]) => [...id].map((c, i) => (i < n ? `%${c.charCodeAt(0).toString(16).padStart(2, '0')}` : c)).join('')),
    },
    { weight: 1, arbitrary: real.map((id) => `${id}%20`) },
    { weight: 1, arbitrary: real.map((id) => `${id}%00`) },
    { weight: 1, arbitrary: real.map((id) => `${id};x=1`) },
    // Broken and odd escapes.
    { weight: 2, arbitrary: fc.stringMatching(/^(%[0-9A-Fa-f]{0,2}|%[g-zG-Z]{2}|[a-f0-9-]|%2[Ff]|%2[Ee]|%00|%25){1,24}$/) },
    { weight: 1, arbitrary: fc.constantFrom('.', '..', '%2e%2e', '%2E', '~', '*', '%E0%A4%A', '%C0%AF', '%ED%A0%80', '%FF') },
    // Very long ids.
    { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 37, max: 8_000 }), fc.constantFrom('a', '0', '-', '%41')).map(([n, c]) => c.repeat(n)) },
    // Unicode, percent-encoded as a browser would.
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).map((s) => encodeURIComponent(s)) },
    // Lone surrogates encoded by hand (encodeURIComponent refuses them).
    { weight: 1, arbitrary: fc.constantFrom('%ED%B0%80', '%F4%90%80%80', '%F0%9F%98') },
    { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9._~!$&'()*+,;=:@-]{1,60}$/) },
  );
}

/** Request-targets: the relay routes, their near misses, and junk. */
function target(world: FuzzWorld): fc.Arbitrary<{ target: string | Buffer; malformed: boolean; id?: string; method?: string }> {
  const id = sessionIdSegment(world);
  const junkSegment = fc.stringMatching(/^[A-Za-z0-9%._~]{0,20}$/);
  const route: fc.Arbitrary<{ path: string; id?: string; method?: string }> = fc.oneof(
    { weight: 5, arbitrary: fc.constant({ path: '/relay/sessions', method: 'POST' }) },
    { weight: 5, arbitrary: id.map((i) => ({ path: `/relay/sessions/${i}`, id: i, method: 'GET' })) },
    { weight: 6, arbitrary: id.map((i) => ({ path: `/relay/sessions/${i}/claim`, id: i, method: 'POST' })) },
    { weight: 2, arbitrary: fc.constant({ path: '/relay/claims', method: 'GET' }) },
    { weight: 1, arbitrary: fc.constant({ path: '/restricted', method: 'GET' }) },
    // Near misses of the routes.
    {
      weight: 4,
      arbitrary: fc.tuple(id, junkSegment).chain(([i, junk]) =>
        fc.constantFrom(
          { path: `/relay/sessions/` },
          { path: `/relay/sessions//claim` },
          { path: `/relay/sessions/${i}/` },
          { path: `/relay/sessions/${i}/claim/` },
          { path: `/relay/sessions/${i}/claim/${junk}` },
          { path: `/relay/sessions/${i}/${junk}` },
          { path: `/relay/sessions/${i}//claim` },
          { path: `/relay//sessions/${i}` },
          { path: `//relay/sessions/${i}/claim` },
          { path: `/relay/Sessions/${i}` },
          { path: `/Relay/sessions` },
          { path: `/RELAY/CLAIMS` },
          { path: `/relay/claims/` },
          { path: `/relay/claims/${junk}` },
          { path: `/relay/%73essions` },
          { path: `/relay/sessions%2F${i}` },
          { path: `/relay/./sessions/${i}/claim` },
          { path: `/relay/x/../sessions` },
          { path: `/relay/sessions/${i}/claim%00` },
          { path: `/relay` },
          { path: `/relay/` },
          { path: `/relayx/sessions` },
          { path: `/relay/${junk}` },
          { path: `/${junk}` },
          { path: `/` },
        ),
      ),
    },
  );
  const query = fc.oneof(
    { weight: 6, arbitrary: fc.constant('') },
    { weight: 1, arbitrary: fc.stringMatching(/^\?[A-Za-z0-9%=&._~[\]-]{0,40}$/) },
    { weight: 1, arbitrary: fc.constantFrom('?claimType=age_over65_verified', '?__proto__[x]=1', '?sessionId=../../x', '?%', '#frag') },
  );
  return fc.oneof(
    {
      weight: 30,
      arbitrary: fc
        .tuple(route, query)
        .map(([r, q]) => ({ target: `${r.path}${q}`, malformed: false, ...(r.id ? { id: r.id } : {}), ...(r.method ? { method: r.method } : {}) })),
    },
    // Absolute-form and asterisk-form targets.
    { weight: 1, arbitrary: fc.constantFrom('http://127.0.0.1/relay/sessions', 'http://evil.example/relay/claims', '*').map((t) => ({ target: t, malformed: false })) },
    // Raw bytes that are not ASCII in the request-target (HTTP parsers refuse these).
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }), fc.uint8Array({ minLength: 1, maxLength: 6 }))
        .map(([s, bytes]) => ({ target: Buffer.concat([Buffer.from(`/relay/sessions/${s}`, 'utf8'), Buffer.from(bytes)]), malformed: true })),
    },
  );
}

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/json;charset=UTF-8',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'application/json; charset="utf-8"; foo=bar',
  'application/json ; charset=utf-8',
  'application/vnd.api+json',
  'application/problem+json',
  'application/jsonx',
  'application/json, text/plain',
  'text/plain',
  'text/json',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=----x',
  'application/octet-stream',
  '*/*',
  '',
  ';',
  'application/',
  'garbage;;;=',
  'application/json; charset=',
];

/** Header lines (name, value); names may repeat. */
function headers(world: FuzzWorld): fc.Arbitrary<Array<[string, string | Buffer]>> {
  const contentType = fc.oneof(
    { weight: 6, arbitrary: fc.constant('application/json') },
    { weight: 4, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
    { weight: 1, arbitrary: fc.stringMatching(/^[\x20-\x7e]{0,60}$/) },
  );
  const realCookie = fc.constantFrom(...world.cookies);
  const relaySid = fc.oneof(
    { weight: 12, arbitrary: realCookie },
    // A real cookie with its signature or visitor id altered.
    fc.tuple(realCookie, fc.nat(120), fc.constantFrom('A', 'b', '-', '_', '.', '=', '%')).map(([c, at, ch]) => {
      const i = 'relay_sid='.length + (at % (c.length - 'relay_sid='.length));
      return `${c.slice(0, i)}${ch}${c.slice(i + 1)}`;
    }),
    realCookie.map((c) => c.split('.')[0]!),
    realCookie.map((c) => `${c}.${c.split('.')[1]}`),
    fc.uuid({ version: 4 }).map((u) => `relay_sid=${u}.${'A'.repeat(43)}`),
    fc.uuid({ version: 4 }).map((u) => `relay_sid=${u}.`),
    fc.stringMatching(/^[\x21-\x7e]{0,80}$/).filter((v) => !v.includes(';')).map((v) => `relay_sid=${v}`),
    fc.constant('relay_sid='),
    fc.constant('relay_sid'),
    fc.constant('relay_sid=.'),
    fc.constant('RELAY_SID=x'),
  );
  const cookieHeader = fc.oneof(
    { weight: 4, arbitrary: relaySid },
    { weight: 1, arbitrary: fc.tuple(relaySid, relaySid).map(([a, b]) => `${a}; ${b}`) },
    { weight: 1, arbitrary: fc.tuple(fc.stringMatching(/^[a-z]{1,8}=[a-z0-9]{0,8}$/), relaySid).map(([a, b]) => `${a};${b};;; =x`) },
    // Huge cookie headers (Node refuses a header block over 16 KiB with 431).
    { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 4_000, max: 20_000 }), relaySid).map(([n, c]) => `pad=${'p'.repeat(n)}; ${c}`) },
    { weight: 1, arbitrary: fc.integer({ min: 4_000, max: 16_000 }).map((n) => `relay_sid=${'x'.repeat(n)}`) },
  );
  const cookies = fc.oneof(
    { weight: 3, arbitrary: fc.constant([] as Array<[string, string]>) },
    { weight: 4, arbitrary: cookieHeader.map((c) => [['Cookie', c]] as Array<[string, string]>) },
    // Duplicate Cookie headers.
    { weight: 1, arbitrary: fc.tuple(cookieHeader, cookieHeader).map(([a, b]) => [['Cookie', a], ['cookie', b]] as Array<[string, string]>) },
  );
  const user = fc.oneof(
    { weight: 6, arbitrary: fc.constant([] as Array<[string, string | Buffer]>) },
    { weight: 2, arbitrary: fc.constantFrom(...world.users).map((u) => [['x-test-user', u]] as Array<[string, string | Buffer]>) },
    {
      weight: 1,
      arbitrary: fc
        .oneof(fc.stringMatching(/^[\x21-\x7e]{0,300}$/), fc.constantFrom('visitor:00000000-0000-4000-8000-000000000000', ' ', '0', '__proto__'))
        .map((u) => [['x-test-user', u]] as Array<[string, string | Buffer]>),
    },
    // Bytes that are not ASCII in a header value (Node reads them as latin1).
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).map((u) => [['x-test-user', Buffer.from(u, 'utf8')]] as Array<[string, string | Buffer]>) },
  );
  const reserved = new Set(['content-length', 'transfer-encoding', 'host', 'connection', 'x-test-user', 'cookie', 'content-type']);
  const other = fc.array(
    fc.oneof(
      fc.tuple(fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,30}$/).filter((n) => !reserved.has(n.toLowerCase())), fc.stringMatching(/^[\x20-\x7e]{0,100}$/)),
      fc.constantFrom<[string, string]>(
        ['Expect', '100-continue'],
        ['Content-Encoding', 'gzip'],
        ['Content-Encoding', 'br'],
        ['Content-Encoding', 'identity'],
        ['Content-Encoding', 'bogus'],
        ['Accept', 'text/html'],
        ['Accept', '*/*;q=0'],
        ['Accept-Encoding', 'gzip, br'],
        ['Origin', 'https://evil.example'],
        ['X-Forwarded-For', '1.2.3.4, 5.6.7.8'],
        ['X-HTTP-Method-Override', 'DELETE'],
        ['Authorization', 'Bearer persona_production_test'],
        ['Persona-Relay-Secret', '00000000-0000-4000-8000-000000000000'],
        ['Range', 'bytes=0-1'],
        ['If-None-Match', '*'],
      ),
    ),
    { maxLength: 4 },
  );
  const contentTypes = fc.oneof(
    { weight: 1, arbitrary: fc.constant([] as Array<[string, string]>) },
    { weight: 8, arbitrary: contentType.map((t) => [['Content-Type', t]] as Array<[string, string]>) },
    { weight: 1, arbitrary: fc.tuple(contentType, contentType).map(([a, b]) => [['Content-Type', a], ['content-type', b]] as Array<[string, string]>) },
  );
  return fc
    .tuple(contentTypes, cookies, user, other)
    .chain(([types, c, u, o]) => fc.shuffledSubarray([...types, ...c, ...u, ...o], { minLength: types.length + c.length + u.length + o.length }));
}

/** A body as bytes, plus how it is sent. */
interface BodyChoice {
  readonly bytes: Buffer;
  readonly truncateBy?: number;
  readonly chunked?: boolean;
  readonly malformed?: boolean;
}

const jsonKey = fc.oneof(fc.stringMatching(/^[A-Za-z_$][A-Za-z0-9_$]{0,30}$/), fc.string({ maxLength: 40 }), fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString'));
const smallJson = fc.jsonValue({ maxDepth: 3 });
/** Deepest nesting of a generated body: JSON thousands of levels deep was once answered 500 (a stack overflow in class-transformer). */
const maxNesting = 5_000;

function bodies(world: FuzzWorld): fc.Arbitrary<BodyChoice> {
  const claimType = fc.oneof(
    fc.constantFrom(...world.allowedClaimTypes),
    fc.constantFrom('age_over65_verified', '', 'AGE_OVER18_VERIFIED', 'age over 18', 'a'.repeat(101), '__proto__', 'constructor'),
    fc.stringMatching(/^[a-z0-9_]{1,100}$/),
    fc.string({ maxLength: 50 }),
    smallJson,
  );
  const extraKeys = fc.oneof(
    { weight: 3, arbitrary: fc.constant({}) },
    { weight: 2, arbitrary: fc.dictionary(jsonKey, smallJson, { minKeys: 1, maxKeys: 3 }) },
  );
  const objectBody = fc
    .tuple(fc.option(claimType, { nil: undefined }), extraKeys)
    .map(([type, extra]) => ({ ...(type === undefined ? {} : { claimType: type }), ...extra }));
  const text = (arb: fc.Arbitrary<string>) => arb.map((t) => ({ bytes: Buffer.from(t, 'utf8') }));
  const nested = fc.tuple(fc.integer({ min: 2, max: maxNesting }), fc.constantFrom('[', '{"a":'), fc.constantFrom('claimType', 'x')).map(([depth, open, key]) => {
    const close = open === '[' ? ']' : '}';
    const leaf = open === '[' ? '' : '1';
    return `{"${key}":${open.repeat(depth)}${leaf}${close.repeat(depth)}}`;
  });
  const validJsonText = fc.oneof(objectBody.map((o) => JSON.stringify(o)), smallJson.map((v) => JSON.stringify(v)));
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant({ bytes: Buffer.alloc(0) }) },
    { weight: 4, arbitrary: text(fc.constant('{}')) },
    { weight: 8, arbitrary: text(objectBody.map((o) => JSON.stringify(o))) },
    { weight: 3, arbitrary: text(smallJson.map((v) => JSON.stringify(v))) },
    { weight: 2, arbitrary: text(fc.constantFrom('{"__proto__":{"claimType":"age_over18_verified"}}', '{"constructor":{"prototype":{"admin":true}}}', '{"__proto__":null}', '{"claimType":"age_over18_verified","__proto__":{}}', '[{"claimType":"x"}]', 'null', '"{}"', '0', 'true', '{"claimType":null}', '{"claimType":"age_over18_verified","claimType":"x"}')) },
    // Truncated JSON: a prefix of a valid text, sent with a correct length.
    { weight: 3, arbitrary: text(fc.tuple(validJsonText, fc.nat()).map(([t, n]) => t.slice(0, t.length > 1 ? n % (t.length - 1) : 0))) },
    // The declared length is never reached: the client half-closes mid-body.
    { weight: 1, arbitrary: fc.tuple(validJsonText, fc.integer({ min: 1, max: 5_000 })).map(([t, by]) => ({ bytes: Buffer.from(t), truncateBy: by, malformed: true })) },
    { weight: 1, arbitrary: validJsonText.map((t) => ({ bytes: Buffer.from(t), chunked: true })) },
    // Huge bodies: just past 16 KiB, and far past it.
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.constantFrom(16_000, 16_384, 16_400, 20_000, 120_000, 1_100_000), fc.constantFrom('value', 'space', 'key'))
        .map(([n, where]) => ({
          bytes: Buffer.from(
            where === 'space' ? `{}${' '.repeat(n)}` : where === 'key' ? `{"${'k'.repeat(n)}":1}` : `{"claimType":"${'a'.repeat(n)}"}`,
          ),
        })),
    },
    { weight: 2, arbitrary: text(nested) },
    // Bytes that are not UTF-8, alone or inside a JSON string.
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => ({ bytes: Buffer.from(b) })) },
    {
      weight: 2,
      arbitrary: fc
        .constantFrom([0xff], [0xfe, 0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe0, 0x80], [0x80])
        .map((bad) => ({ bytes: Buffer.concat([Buffer.from('{"claimType":"age_over18_verified'), Buffer.from(bad), Buffer.from('"}')]) })),
    },
    { weight: 1, arbitrary: fc.constant({ bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{}')]) }) },
    { weight: 1, arbitrary: fc.constant({ bytes: Buffer.from('{}', 'utf16le') }) },
    // Other media: a form post, multipart, plain text.
    { weight: 2, arbitrary: text(fc.constantFrom('claimType=age_over18_verified', '------x\r\nContent-Disposition: form-data; name="claimType"\r\n\r\nage_over18_verified\r\n------x--\r\n', 'hello', ' ', '\n\t\r ')) },
  );
}

/** Every string value of a parsed JSON body; iterative, since fuzzed bodies nest thousands deep. */
function stringsIn(root: unknown): string[] {
  const out: string[] = [];
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value === 'string') out.push(value);
    else if (Array.isArray(value)) pending.push(...value);
    else if (value && typeof value === 'object') pending.push(...Object.values(value));
  }
  return out;
}

/** The fuzzed request. */
export function fuzzRequest(world: FuzzWorld): fc.Arbitrary<FuzzRequest> {
  // Mostly the route's own method, so most requests reach the route; any method otherwise.
  const routeMethod = fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: method });
  return fc.tuple(routeMethod, target(world), headers(world), bodies(world), fc.boolean()).map(([chosen, t, h, b, sendBody]) => {
    const m = chosen ?? t.method ?? 'GET';
    // Bodies go with POST-like methods mostly, but GETs with bodies are near misses too.
    const withBody = ['POST', 'PUT', 'PATCH', 'post'].includes(m) || sendBody;
    const body = withBody ? b : { bytes: Buffer.alloc(0) };
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.bytes.toString('utf8'));
    } catch {
      parsed = undefined;
    }
    const fragments = [
      ...stringsIn(parsed),
      ...(t.id ? [t.id] : []),
      // Content types are left out: the 415 message names the one expected.
      ...h.filter(([name]) => name.toLowerCase() !== 'content-type').map(([, value]) => value.toString()),
    ].filter((s) => s.length >= 12);
    const request = {
      method: m,
      target: t.target,
      headers: h,
      ...(withBody && body.bytes.length > 0 ? { body: body.bytes } : {}),
      ...(withBody && body.truncateBy ? { truncateBy: body.truncateBy } : {}),
      ...(withBody && body.chunked ? { chunked: true } : {}),
      fragments,
      malformedHttp: t.malformed || Boolean(withBody && body.malformed),
    };
    // Counterexamples can hold megabytes: report them abridged.
    return Object.assign(request, { [fc.toStringMethod]: () => describeRequest(request) });
  });
}

/** A short, printable description of a request (long values abridged). */
export function describeRequest(request: RawRequest): string {
  const show = (value: string | Buffer, max = 120) => {
    const text = typeof value === 'string' ? value : value.toString('latin1');
    return JSON.stringify(text.length > max ? `${text.slice(0, max)}…(${text.length} chars)` : text);
  };
  const headerText = request.headers.map(([name, value]) => `${name}: ${show(value, 80)}`).join(', ');
  const body = request.body ? `${show(request.body, 160)} [${request.body.length} bytes]` : '(none)';
  const how = [request.truncateBy ? `declared ${request.truncateBy} bytes more, then half-closed` : '', request.chunked ? 'chunked' : '']
    .filter(Boolean)
    .join(', ');
  return `${request.method} ${show(request.target)} | headers: ${headerText || '(none)'} | body: ${body}${how ? ` (${how})` : ''}`;
}

/** Request bodies nested deeper than the stack allows class-transformer to walk (bug: 500). */
export function deeplyNestedBody(): fc.Arbitrary<Buffer> {
  return fc
    .tuple(fc.integer({ min: 2_500, max: 5_000 }), fc.constantFrom('claimType', 'x'))
    .map(([depth, key]) => Buffer.from(`{"${key}":${'['.repeat(depth)}${']'.repeat(depth)}}`));
}

/** Unknown body keys that are long or not ASCII (bug: echoed whole in the 400 message). */
export function unsafeUnknownKey(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.tuple(fc.integer({ min: 201, max: 8_000 }), fc.constantFrom('k', '<', 'é')).map(([n, c]) => c.repeat(n)),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).filter((s) => /[^\x20-\x7e]/.test(s)),
    fc.constantFrom('line\nbreak', 'tab\there', '<script>alert(1)</script>', 'a\u2028b', '\u0000'),
  );
}

/** JSON bodies with a key that Object.prototype has, alone or beside a valid field (bug: answered 201). */
export function prototypeKeyBody(): fc.Arbitrary<Buffer> {
  const key = fc.constantFrom(...Object.getOwnPropertyNames(Object.prototype));
  const value = fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.boolean(), fc.constant(null));
  return fc
    .tuple(key, value, fc.boolean())
    .map(([k, v, withClaimType]) => Buffer.from(`{${withClaimType ? '"claimType":"age_over18_verified",' : ''}${JSON.stringify(k)}:${JSON.stringify(v)}}`));
}

/** User ids as long as identity providers hand out: OIDC subjects up to 255 characters, long emails, opaque ids (bug: 500 from 252 on). */
export function longUserId(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.stringMatching(/^[A-Za-z0-9|_-]{240,255}$/),
    fc.stringMatching(/^[a-z0-9.+_-]{200,400}@[a-z0-9-]{1,60}\.example$/),
    fc.integer({ min: 257, max: 2_000 }).map((n) => 'u'.repeat(n)),
  );
}

export { STANDARD_METHODS };
