/**
 * Key casing: request fields are accepted in kebab, camel or snake case, and success
 * bodies follow the `Key-Inflection` request header.
 */
import { isDeepStrictEqual } from 'node:util';
import { parameterError, type EmulatorResponse } from './responses.js';

/** The three spellings Persona understands. */
export type KeyInflection = 'kebab' | 'camel' | 'snake';

/** The inflection a request asks for; absent or unknown values mean kebab. */
export function keyInflectionOf(header: string | undefined): KeyInflection {
  const value = header?.trim().toLowerCase();
  return value === 'camel' || value === 'snake' ? value : 'kebab';
}

/** One kebab-case key respelled, e.g. `token-key-id` → `tokenKeyId` / `token_key_id`. */
function inflectKey(kebabKey: string, inflection: KeyInflection): string {
  if (inflection === 'camel') return kebabKey.replace(/-([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
  if (inflection === 'snake') return kebabKey.replaceAll('-', '_');
  return kebabKey;
}

/** A flat success body with its kebab keys respelled (values, including `claim-payload`, untouched). */
export function inflectKeys(body: Record<string, unknown>, inflection: KeyInflection): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).map(([key, value]) => [inflectKey(key, inflection), value]));
}

/** The outcome of reading a request field: its value, or the error response that answers the request. */
export type FieldRead<T> = { ok: true; value: T } | { ok: false; response: EmulatorResponse };

/**
 * Reads `kebabKey` under all three spellings (`undefined` when absent). The same field in two spellings with
 * different values is a 422 `invalid_parameter`, since no spelling can be preferred.
 */
export function readField(body: Record<string, unknown>, kebabKey: string): FieldRead<unknown> {
  const values = spellingsOf(kebabKey)
    .filter((key) => Object.hasOwn(body, key))
    .map((key) => body[key]);
  if (values.some((value) => !isDeepStrictEqual(value, values[0]))) {
    const details = `${kebabKey} is given in two spellings with different values.`;
    return { ok: false, response: parameterError('invalid_parameter', kebabKey, details) };
  }
  return { ok: true, value: values[0] };
}

/** A field that must be present and not `null` (else 400 `missing_parameter`). */
function readRequiredField(body: Record<string, unknown>, kebabKey: string): FieldRead<unknown> {
  const read = readField(body, kebabKey);
  if (read.ok && (read.value === undefined || read.value === null)) {
    return { ok: false, response: parameterError('missing_parameter', kebabKey, `${kebabKey} is required.`) };
  }
  return read;
}

/**
 * Required string fields, in the order given: every one present and not `null` (else 400 `missing_parameter`), then
 * every one a string (else 422 `invalid_parameter`).
 */
export function readRequiredStrings(body: Record<string, unknown>, kebabKeys: readonly string[]): FieldRead<string[]> {
  const values: unknown[] = [];
  for (const kebabKey of kebabKeys) {
    const read = readRequiredField(body, kebabKey);
    if (!read.ok) return read;
    values.push(read.value);
  }
  const notString = kebabKeys.find((_, index) => typeof values[index] !== 'string');
  if (notString !== undefined) return invalid(notString, `${notString} must be a string.`);
  return { ok: true, value: values as string[] };
}

/** The optional `sandbox` flag: absent = `false`, otherwise it must be a boolean (422). */
export function readSandboxFlag(body: Record<string, unknown>): FieldRead<boolean> {
  const read = readField(body, 'sandbox');
  if (!read.ok) return read;
  if (read.value === undefined) return { ok: true, value: false };
  if (typeof read.value !== 'boolean') return invalid('sandbox', 'sandbox must be a boolean.');
  return { ok: true, value: read.value };
}

const CLAIM_TYPE_SHAPE = /^[a-z0-9_]{1,100}$/;

/** `claim-type`: required, and any well-formed id (`^[a-z0-9_]{1,100}$`) is accepted. */
export function readClaimType(body: Record<string, unknown>): FieldRead<string> {
  const read = readRequiredStrings(body, ['claim-type']);
  if (!read.ok) return read;
  const [claimType] = read.value as [string];
  if (!CLAIM_TYPE_SHAPE.test(claimType)) return invalid('claim-type', 'claim-type must match ^[a-z0-9_]{1,100}$.');
  return { ok: true, value: claimType };
}

/** A 422 `invalid_parameter` read result. */
export function invalid<T>(kebabKey: string, details: string): FieldRead<T> {
  return { ok: false, response: parameterError('invalid_parameter', kebabKey, details) };
}

function spellingsOf(kebabKey: string): string[] {
  return [...new Set([kebabKey, inflectKey(kebabKey, 'camel'), inflectKey(kebabKey, 'snake')])];
}

/** Every value given for `kebabKey` across spellings, as JSON (idempotency fingerprints ignore the spelling). */
export function spellingNormalized(body: Record<string, unknown>, kebabKey: string): string {
  const values = spellingsOf(kebabKey)
    .filter((key) => Object.hasOwn(body, key))
    .map((key) => JSON.stringify(body[key]));
  return JSON.stringify([...new Set(values)].sort());
}
