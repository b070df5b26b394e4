/**
 * The redeemed Privacy Pass: reading it out of `Authorization: PrivateToken token=…`, decoding its JSON and
 * rebuilding the 98-byte input its signature covers.
 */
import { createHash } from 'node:crypto';
import { fromBase64Url } from './encoding.js';

/** A structurally valid token (step 4 passed); nothing about it is trusted yet. */
export interface PresentedToken {
  tokenNonce: string;
  /** Still base64url: its length is checked against the key in step 9. */
  signature: string;
  keyId: string;
  challenge: Record<string, unknown>;
}

/**
 * The `token` parameter of a `PrivateToken` authorization (scheme and parameter names case-insensitive, value
 * quoted or not), or `undefined` when the header is absent, of another scheme, or has no non-empty `token`.
 */
export function privateTokenFromAuthorization(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^\s*privatetoken(?:\s+(.*))?$/is.exec(header);
  if (!match) return undefined;
  const token = parseAuthParams(match[1] ?? '').get('token');
  return token ? token : undefined;
}

/**
 * RFC 9110 auth-params (`name = token / quoted-string`, comma-separated). Lenient like Persona's clients: an unquoted
 * value runs to the next comma or space, so padded base64url survives. The first occurrence of a name wins.
 */
function parseAuthParams(text: string): Map<string, string> {
  const params = new Map<string, string>();
  let at = 0;
  const skip = (pattern: RegExp): void => {
    while (at < text.length && pattern.test(text[at] as string)) at++;
  };
  while (at < text.length) {
    skip(/[\s,]/);
    const nameStart = at;
    while (at < text.length && !/[\s,=]/.test(text[at] as string)) at++;
    const name = text.slice(nameStart, at).toLowerCase();
    skip(/\s/);
    if (text[at] !== '=') continue;
    at++;
    skip(/\s/);
    let value = '';
    if (text[at] === '"') {
      at++;
      while (at < text.length && text[at] !== '"') {
        if (text[at] === '\\') at++;
        value += text[at] ?? '';
        at++;
      }
      at++;
    } else {
      const valueStart = at;
      while (at < text.length && !/[\s,]/.test(text[at] as string)) at++;
      value = text.slice(valueStart, at);
    }
    if (name && !params.has(name)) params.set(name, value);
  }
  return params;
}

const NONCE_SHAPE = /^[0-9a-f]{64}$/;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Redemption step 4: base64url of a UTF-8 JSON object with the four fields in their shapes, else `undefined`. */
export function decodePresentedToken(token: string): PresentedToken | undefined {
  const bytes = fromBase64Url(token);
  if (!bytes) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(strictUtf8.decode(bytes));
  } catch {
    return undefined;
  }
  if (!isPlainObject(parsed)) return undefined;
  const { token_nonce, signature, key_id, challenge } = parsed;
  if (typeof token_nonce !== 'string' || !NONCE_SHAPE.test(token_nonce)) return undefined;
  if (typeof signature !== 'string' || !fromBase64Url(signature)) return undefined;
  if (typeof key_id !== 'string' || !isPlainObject(challenge)) return undefined;
  return { tokenNonce: token_nonce, signature, keyId: key_id, challenge };
}

/**
 * The 98 signed bytes: `0002` || SHA-256(nonce hex) || SHA-256(challenge mac) || SHA-256(key id), each component
 * hashed as UTF-8 text exactly as carried (Persona's deviation from RFC 9578, section 6.1).
 */
export function buildTokenInput(tokenNonce: string, mac: string, keyId: string): Buffer {
  const sha256 = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();
  return Buffer.concat([Buffer.from([0x00, 0x02]), sha256(tokenNonce), sha256(mac), sha256(keyId)]);
}

/** A JSON object that is neither `null` nor an array. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
