/**
 * Strict JSON helpers shared by the decoders of challenges and tokens.
 *
 * Internal to the protocol layer: results say *why* something failed, and each decoder turns that into
 * its own error code. `JSON.parse`'s messages are never forwarded, because they quote the input.
 */

/** A JSON object as `JSON.parse` returns it. */
export type JsonObject = Record<string, unknown>;

/** Either the parsed object or a short description of why the text is not one. */
export type JsonObjectResult = { readonly object: JsonObject } | { readonly problem: string };

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes UTF-8 strictly (malformed sequences fail instead of becoming U+FFFD). */
export function decodeUtf8Strict(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Parses text that must hold a JSON object (not an array, `null` or a scalar). */
export function parseJsonObject(text: string): JsonObjectResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: 'is not valid JSON' };
  }
  return isJsonObject(value) ? { object: value } : { problem: 'is not a JSON object' };
}

/** True for a plain object as JSON produces it (not an array, not `null`). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Freezes a JSON value and everything inside it. Iterative, so deeply nested input cannot exhaust the
 * call stack.
 */
export function deepFreezeJson<T>(value: T): T {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next !== 'object' || next === null || Object.isFrozen(next)) continue;
    Object.freeze(next);
    for (const child of Object.values(next)) pending.push(child);
  }
  return value;
}
