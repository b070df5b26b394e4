/**
 * Byte and text encodings used on the wire: base64url (validated before decoding, because Node's decoder
 * silently skips characters outside the alphabet), random identifiers and RFC 3339 timestamps.
 */
import { randomBytes } from 'node:crypto';

const BASE64URL_SHAPE = /^[A-Za-z0-9_-]*={0,2}$/;
const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Encodes bytes as unpadded base64url. */
export function toBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

/**
 * Decodes base64url, padded or not. Returns `undefined` for anything that is not well-formed base64url:
 * characters outside the alphabet, a length that leaves a lone sextet, or padding that does not complete a quantum.
 */
export function fromBase64Url(text: string): Buffer | undefined {
  if (!BASE64URL_SHAPE.test(text)) return undefined;
  const unpadded = text.replace(/=+$/, '');
  if (unpadded.length % 4 === 1) return undefined;
  if (unpadded.length !== text.length && text.length % 4 !== 0) return undefined;
  return Buffer.from(unpadded, 'base64url');
}

/** `count` characters drawn uniformly from `[A-Za-z0-9]` (rejection sampling keeps the draw unbiased). */
export function randomAlphanumeric(count: number): string {
  let out = '';
  while (out.length < count) {
    for (const byte of randomBytes(count * 2)) {
      // 248 = 4 × 62: bytes at or above it would favour the first characters.
      if (byte < 248 && out.length < count) out += ALPHANUMERIC[byte % 62];
    }
  }
  return out;
}

/** RFC 3339 UTC with milliseconds, e.g. `2026-05-18T17:10:00.000Z`. */
export function toRfc3339Millis(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

/** RFC 3339 UTC to the second, e.g. `2026-05-18T18:00:00Z` (the challenge's `expires_at` format). */
export function toRfc3339Seconds(epochMs: number): string {
  return new Date(Math.floor(epochMs / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Parses an RFC 3339 timestamp to epoch milliseconds; `undefined` when it is not one. */
export function parseRfc3339(text: string): number | undefined {
  if (!RFC3339.test(text)) return undefined;
  const epochMs = Date.parse(text.toUpperCase());
  return Number.isNaN(epochMs) ? undefined : epochMs;
}
