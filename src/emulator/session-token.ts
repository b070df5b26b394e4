/**
 * `relay-session-access-token`: an RS256 JWT for the browser. Clients treat it as opaque; it is
 * signed for realism with a key of its own, shared by every emulator in the process (tests start many). The key is
 * generated in the background when an emulator starts, so the first relay creation rarely waits for it.
 */
import { generateKeyPair, sign, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { toBase64Url } from './encoding.js';

const generateRsaKeyPair = promisify(generateKeyPair);

let signingKey: Promise<KeyObject> | undefined;

/** Starts generating the signing key (off the event loop) unless that has begun already. */
export function prepareSessionTokenKey(): Promise<KeyObject> {
  signingKey ??= generateRsaKeyPair('rsa', { modulusLength: 2048 }).then(({ privateKey }) => privateKey);
  return signingKey;
}

/** A JWT `{"sub": subject, "iat", "exp": iat + lifetime}` (seconds of emulator time). */
export async function issueSessionToken(
  subject: string,
  issuedAtSeconds: number,
  lifetimeSeconds: number,
): Promise<string> {
  const key = await prepareSessionTokenKey();
  const encode = (part: object): string => toBase64Url(Buffer.from(JSON.stringify(part), 'utf8'));
  const claims = { sub: subject, iat: issuedAtSeconds, exp: issuedAtSeconds + lifetimeSeconds };
  const signingInput = `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode(claims)}`;
  return `${signingInput}.${toBase64Url(sign('sha256', Buffer.from(signingInput, 'ascii'), key))}`;
}
