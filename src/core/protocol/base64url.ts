/**
 * Strict base64url (RFC 4648, section 5) and a tolerant base64 reader for the encrypted claim payload.
 *
 * Node's decoder silently skips characters outside the alphabet and ignores impossible lengths, so a
 * corrupted value would decode to *different* bytes instead of failing. Every decoder here validates
 * the text's shape first and only then hands it to `Buffer`.
 *
 * Trailing bits of the last character are not required to be zero: Persona's encoders always emit
 * canonical text, and a non-canonical spelling decodes to the same bytes, so rejecting it buys nothing.
 */
import { RelayError, RelayErrorCode } from '../errors.js';

/** base64url characters followed by at most two `=`. */
const BASE64URL_SHAPE = /^[A-Za-z0-9_-]*={0,2}$/;
/** Either alphabet (standard `+/` or url-safe `-_`) followed by at most two `=`. */
const ANY_BASE64_SHAPE = /^[A-Za-z0-9+/_-]*={0,2}$/;
/** MIME-style encoders (Ruby's `Base64.encode64`, `openssl base64`) wrap lines; the wrapping carries no data. */
const ASCII_WHITESPACE = /[\t\n\r ]/g;

/** Encodes bytes as unpadded base64url. */
export function encodeBase64url(bytes: Uint8Array): string {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('encodeBase64url expects a Uint8Array');
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/**
 * True when `text` is well-formed base64url: the url-safe alphabet, a length that can encode whole
 * bytes, and `=` padding only when it completes a multiple of four characters. The empty string is
 * well-formed (zero bytes).
 */
export function isBase64url(text: string): boolean {
  if (typeof text !== 'string') throw new TypeError('isBase64url expects a string');
  return describeMalformation(text, BASE64URL_SHAPE) === undefined;
}

/**
 * Decodes base64url text (padded or not) after validating it strictly.
 *
 * @param text - the encoded value
 * @param what - a public name for the value (`'challenge'`, `'token-key'`), used in the error; the value
 *   itself is never echoed
 * @returns a fresh `Uint8Array` that owns its whole buffer (never a view into Node's shared Buffer pool,
 *   which WebCrypto and `structuredClone` would otherwise see in full)
 * @throws RelayError `INVALID_BASE64URL` naming `what`
 */
export function decodeBase64url(text: string, what: string): Uint8Array {
  assertStrings(text, what, 'decodeBase64url');
  return decodeValidated(text, what, BASE64URL_SHAPE, 'base64url');
}

/**
 * Decodes base64 in either alphabet (standard `+/` or url-safe `-_`, not mixed), padded or not; ASCII
 * whitespace (line wrapping) is ignored. Meant for the encrypted claim payload, whose alphabet Persona
 * does not pin down.
 *
 * @throws RelayError `INVALID_BASE64URL` naming `what`
 */
export function decodeBase64Flexible(text: string, what: string): Uint8Array {
  assertStrings(text, what, 'decodeBase64Flexible');
  const compact = text.replace(ASCII_WHITESPACE, '');
  if (/[+/]/.test(compact) && /[-_]/.test(compact)) {
    throw malformed(what, 'base64', 'mixes the standard and url-safe alphabets', text.length);
  }
  return decodeValidated(compact, what, ANY_BASE64_SHAPE, 'base64');
}

function assertStrings(text: unknown, what: unknown, caller: string): void {
  if (typeof text !== 'string') throw new TypeError(`${caller} expects the encoded text as a string`);
  if (typeof what !== 'string') throw new TypeError(`${caller} expects a string naming the value`);
}

function decodeValidated(text: string, what: string, shape: RegExp, encoding: 'base64' | 'base64url'): Uint8Array {
  const problem = describeMalformation(text, shape);
  if (problem !== undefined) throw malformed(what, encoding, problem, text.length);
  return new Uint8Array(Buffer.from(text, encoding));
}

/** Why `text` is not well-formed for `shape`, or `undefined` when it is. */
function describeMalformation(text: string, shape: RegExp): string | undefined {
  if (!shape.test(text)) return 'contains a character outside the alphabet or misplaced padding';
  const paddingStart = text.indexOf('=');
  const dataLength = paddingStart === -1 ? text.length : paddingStart;
  // One leftover character carries only 6 bits: no byte can end there.
  if (dataLength % 4 === 1) return 'has an impossible length';
  if (paddingStart !== -1 && text.length % 4 !== 0) return 'has padding that does not complete a 4-character group';
  return undefined;
}

function malformed(what: string, encoding: 'base64' | 'base64url', problem: string, length: number): RelayError {
  return new RelayError(RelayErrorCode.INVALID_BASE64URL, `${what} is not valid ${encoding}: it ${problem}`, {
    context: { what, length },
  });
}
