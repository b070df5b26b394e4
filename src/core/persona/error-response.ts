/**
 * Turns a non-2xx answer from Persona into a {@link PersonaApiError}.
 *
 * Persona's error envelope is `{"errors":[{"title","details","code","meta","source"}]}` with
 * only `title` guaranteed; the client reads `errors[0]`. Every string taken from the body
 * is redacted and bounded (see `redaction.ts`).
 */
import { STATUS_CODES } from 'node:http';
import { PersonaApiError, type PersonaApiErrorInit, type PersonaOperation } from './persona-error.js';
import { sanitizeJson, sanitizeText } from './redaction.js';
import type { PersonaHttpResponse } from './http-client.js';

/** Bound for a body that is not an error envelope: enough to recognise an HTML error page. */
const RAW_DETAILS_MAX_CHARS = 200;
/** Bounds for envelope fields: Persona's are a phrase, a sentence and a short code. */
const TITLE_MAX_CHARS = 200;
const DETAILS_MAX_CHARS = 1000;
const CODE_MAX_CHARS = 100;
const META_STRING_MAX_CHARS = 200;
const META_MAX_DEPTH = 4;

/** `Request-Id` values are `req_` + 27 alphanumerics; anything else odd is dropped. */
const REQUEST_ID_PATTERN = /^[\x21-\x7e]{1,128}$/;

/** Persona's `Request-Id` header, when present and well-formed. */
export function requestIdOf(headers: Readonly<Record<string, string>>): string | undefined {
  const value = headers['request-id']?.trim();
  return value !== undefined && REQUEST_ID_PATTERN.test(value) ? value : undefined;
}

/** `RateLimit-Reset` in seconds (a non-negative integer), when present and well-formed. */
export function rateLimitResetSecondsOf(
  headers: Readonly<Record<string, string>>,
): number | undefined {
  const value = headers['ratelimit-reset']?.trim();
  return value !== undefined && /^\d{1,9}$/.test(value) ? Number(value) : undefined;
}

/**
 * Builds the error for a non-2xx answer. `secrets` are the values sent with this request
 * (API key, relay token, relay secret, Privacy Pass, blinded token): should the body echo
 * any of them, they are replaced before the text reaches the error.
 */
export function personaApiErrorFromResponse(
  operation: PersonaOperation,
  response: PersonaHttpResponse,
  secrets: readonly string[],
): PersonaApiError {
  const reasonPhrase = STATUS_CODES[response.status] ?? 'Unknown Status';
  const envelope = firstEnvelopeError(response.bodyText);
  const init: Mutable<PersonaApiErrorInit> = { operation, status: response.status, title: reasonPhrase };

  if (envelope === undefined) {
    const details = sanitizeText(response.bodyText, secrets, RAW_DETAILS_MAX_CHARS);
    if (details.length > 0) init.details = details;
  } else {
    const title = nonEmptyText(envelope.title, secrets, TITLE_MAX_CHARS);
    if (title !== undefined) init.title = title;
    const details = nonEmptyText(envelope.details, secrets, DETAILS_MAX_CHARS);
    if (details !== undefined) init.details = details;
    const personaCode = nonEmptyText(envelope.code, secrets, CODE_MAX_CHARS);
    if (personaCode !== undefined) init.personaCode = personaCode;
    if (isPlainObject(envelope.meta)) {
      init.meta = sanitizeJson(envelope.meta, secrets, META_STRING_MAX_CHARS, META_MAX_DEPTH) as Record<
        string,
        unknown
      >;
    }
  }

  const requestId = requestIdOf(response.headers);
  if (requestId !== undefined) init.requestId = requestId;
  const rateLimitResetSeconds = rateLimitResetSecondsOf(response.headers);
  if (rateLimitResetSeconds !== undefined) init.rateLimitResetSeconds = rateLimitResetSeconds;

  return new PersonaApiError(init);
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** `errors[0]` of an error envelope, or undefined when the body is not one. */
function firstEnvelopeError(bodyText: string): Record<string, unknown> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bodyText);
  } catch {
    return undefined;
  }
  if (!isPlainObject(parsed) || !Array.isArray(parsed.errors)) return undefined;
  const first: unknown = parsed.errors[0];
  return isPlainObject(first) ? first : undefined;
}

function nonEmptyText(value: unknown, secrets: readonly string[], maxChars: number): string | undefined {
  if (typeof value !== 'string') return undefined;
  const text = sanitizeText(value, secrets, maxChars);
  return text.length > 0 ? text : undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
