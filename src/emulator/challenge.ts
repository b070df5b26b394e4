/**
 * Privacy Pass challenges: minting, the MAC that makes their fields tamper-evident, and the
 * `WWW-Authenticate` header of generate-claim's 401.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import { toBase64Url, toRfc3339Seconds } from './encoding.js';
import type { SigningKey } from './keys.js';
import type { ChallengeTtl } from './options.js';

/** The only token type Persona issues: Privacy Pass 0x0002, Blind RSA. */
const TOKEN_TYPE = 2;
const ISSUER_NAME = 'withpersona.com/api/v1/privacy-passes';
/** Where a token may be redeemed; redemption rejects any other value (`invalid_origin`). */
export const ORIGIN_INFO = '/api/privacy/v1/relays';

const HOUR_MS = 3_600_000;

/**
 * The MAC key: random per process, or derived from the fixed signing key so that tests can mint valid challenges
 * offline: SHA-256("persona-relay-emulator mac" || PKCS#8 DER of the signing key).
 */
export function deriveMacKey(signingKey: KeyObject | undefined): Buffer {
  if (!signingKey) return randomBytes(32);
  return createHash('sha256')
    .update('persona-relay-emulator mac', 'utf8')
    .update(signingKey.export({ type: 'pkcs8', format: 'der' }))
    .digest();
}

/** `expires_at` for a challenge minted at `nowMs`, in epoch milliseconds on a whole second. */
export function challengeExpiry(nowMs: number, ttl: ChallengeTtl): number {
  if (ttl.kind === 'next-hour') return Math.ceil((nowMs + HOUR_MS) / HOUR_MS) * HOUR_MS;
  return Math.ceil((nowMs + ttl.seconds * 1000) / 1000) * 1000;
}

/** Mints challenges and checks their MACs. */
export class ChallengeAuthority {
  constructor(
    private readonly macKey: Buffer,
    private readonly ttl: ChallengeTtl,
  ) {}

  /** A fresh challenge as sent on the wire: base64url of the compact JSON, fields in the documented order. */
  mint(nowMs: number): string {
    const expiresAt = toRfc3339Seconds(challengeExpiry(nowMs, this.ttl));
    const challenge = {
      token_type: TOKEN_TYPE,
      issuer_name: ISSUER_NAME,
      origin_info: ORIGIN_INFO,
      expires_at: expiresAt,
      mac: this.mac(TOKEN_TYPE, ISSUER_NAME, ORIGIN_INFO, expiresAt),
    };
    return toBase64Url(Buffer.from(JSON.stringify(challenge), 'utf8'));
  }

  /**
   * Redemption step 5: the covered fields have their types and the MAC matches (constant time). Unknown fields are
   * ignored; editing any covered field breaks the MAC.
   */
  hasValidMac(challenge: Record<string, unknown>): boolean {
    const { token_type, issuer_name, origin_info, expires_at, mac } = challenge;
    if (!Number.isSafeInteger(token_type)) return false;
    if (![issuer_name, origin_info, expires_at, mac].every((field) => typeof field === 'string')) return false;
    const expected = Buffer.from(
      this.mac(token_type as number, issuer_name as string, origin_info as string, expires_at as string),
      'utf8',
    );
    const presented = Buffer.from(mac as string, 'utf8');
    return presented.length === expected.length && timingSafeEqual(presented, expected);
  }

  private mac(tokenType: number, issuerName: string, originInfo: string, expiresAt: string): string {
    return createHmac('sha256', this.macKey)
      .update(`${tokenType}\n${issuerName}\n${originInfo}\n${expiresAt}`, 'utf8')
      .digest('hex');
  }
}

/** The 401 challenge header, exactly `PrivateToken challenge="…", token-key="…", token-key-id="…"`. */
export function wwwAuthenticateHeader(challenge: string, key: SigningKey): string {
  return `PrivateToken challenge="${challenge}", token-key="${toBase64Url(key.spkiDer)}", token-key-id="${key.id}"`;
}
