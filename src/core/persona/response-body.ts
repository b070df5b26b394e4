/**
 * Tolerant decoding of Persona's 2xx bodies.
 *
 * Persona may answer in kebab-case, camelCase or snake_case (an API key can have another
 * default inflection than the `Key-Inflection: kebab` we ask for), so each field is read
 * under all three spellings; the first one present wins. Unknown fields are ignored.
 * Anything else that does not match is a `PERSONA_PROTOCOL` error, whose context names
 * the field but never carries a value.
 */
import { RelayError, RelayErrorCode } from '../errors.js';
import type { PersonaOperation } from './persona-error.js';

/** A decoded 2xx body: a JSON object. */
export type JsonObject = Readonly<Record<string, unknown>>;

/** The three spellings of a kebab-case field name, kebab first. */
export function fieldSpellings(kebabName: string): readonly [string, string, string] {
  const camel = kebabName.replace(/-([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
  return [kebabName, camel, kebabName.replaceAll('-', '_')];
}

/**
 * Parses a 2xx body that must be a JSON object.
 *
 * @throws RelayError `PERSONA_PROTOCOL` when the body is not JSON or not an object.
 */
export function parseJsonObject(
  operation: PersonaOperation,
  status: number,
  bodyText: string,
): JsonObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bodyText);
  } catch {
    throw protocolError(operation, status, 'the body is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw protocolError(operation, status, 'the body is not a JSON object');
  }
  return parsed as JsonObject;
}

/** Reads a field under its kebab, camel or snake spelling (first present wins). */
export function readField(body: JsonObject, kebabName: string): unknown {
  for (const name of fieldSpellings(kebabName)) {
    if (Object.hasOwn(body, name) && body[name] !== undefined) return body[name];
  }
  return undefined;
}

/**
 * Reads a required string field.
 *
 * @throws RelayError `PERSONA_PROTOCOL` when it is missing, not a string, or empty (every
 *   string Persona returns to us, the claim payload included, carries content).
 */
export function requireString(
  body: JsonObject,
  kebabName: string,
  origin: { operation: PersonaOperation; status: number },
): string {
  const value = readField(body, kebabName);
  if (typeof value !== 'string' || value.length === 0) {
    throw protocolError(origin.operation, origin.status, `"${kebabName}" is not a non-empty string`, kebabName);
  }
  return value;
}

/** Longest credential accepted from Persona: relay tokens, secrets and access tokens are far shorter. */
const MAX_CREDENTIAL_LENGTH = 4096;
/** Visible ASCII only: a credential later goes into a URL path or a header. */
const CREDENTIAL = /^[\x21-\x7e]+$/;

/**
 * Reads a required credential (relay token, relay secret, access token): a
 * non-empty, bounded string of visible ASCII, since it is later sent in a
 * header or a URL path. Anything else would fail far from its cause.
 *
 * @throws RelayError `PERSONA_PROTOCOL` when it is missing or not such a string.
 */
export function requireCredential(
  body: JsonObject,
  kebabName: string,
  origin: { operation: PersonaOperation; status: number },
): string {
  const value = requireString(body, kebabName, origin);
  if (value.length > MAX_CREDENTIAL_LENGTH || !CREDENTIAL.test(value)) {
    throw protocolError(origin.operation, origin.status, `"${kebabName}" is not a header-safe credential`, kebabName);
  }
  return value;
}

/**
 * Reads a required boolean field.
 *
 * @throws RelayError `PERSONA_PROTOCOL` when it is missing or not a boolean.
 */
export function requireBoolean(
  body: JsonObject,
  kebabName: string,
  origin: { operation: PersonaOperation; status: number },
): boolean {
  const value = readField(body, kebabName);
  if (typeof value !== 'boolean') {
    throw protocolError(origin.operation, origin.status, `"${kebabName}" is not a boolean`, kebabName);
  }
  return value;
}

/** The error for a 2xx answer that does not decode as documented. */
export function protocolError(
  operation: PersonaOperation,
  status: number | undefined,
  problem: string,
  field?: string,
): RelayError {
  const context: Record<string, unknown> = { operation, problem };
  if (status !== undefined) context.status = status;
  if (field !== undefined) context.field = field;
  const answered = status === undefined ? '' : ` ${status}`;
  return new RelayError(
    RelayErrorCode.PERSONA_PROTOCOL,
    `Persona ${operation} answered${answered} with an undecodable body: ${problem}`,
    { context },
  );
}
